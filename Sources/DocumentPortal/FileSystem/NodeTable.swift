/// The FUSE inodes the document store has handed to the kernel.
///
/// Inode numbers are per *view* (the host's `/DOCID` tree, or one app's
/// `by-app/APP` tree): the same host file seen by two apps is two inodes,
/// because what each may do with it, and so its mode, differs. Nodes hold
/// no host file descriptors: a host file that is not open through the
/// store is not kept busy by it (upstream keeps burrow_o_path fds, which stops
/// removable media from being unmounted).
struct NodeTable {
    enum Kind: Hashable {
        case root
        case byApp
        case appDirectory(app: String)
        /// `/DOCID` (view nil) or `/by-app/APP/DOCID`.
        case documentDirectory(view: String?, document: String)
        /// A host file or directory inside a document, by identity.
        case entry(view: String?, document: String, device: UInt64, inode: UInt64)
    }

    struct Node {
        let kind: Kind
        /// Parent inode and the host name last used to reach this node.
        var parent: UInt64
        var hostName: String
        var lookups: UInt64
        /// (mtime, ctime, size) seen at the last open: unchanged means the
        /// kernel's cached pages are still the file's contents.
        var cacheStamp: [Int]?

        var view: String? {
            switch kind {
            case .root, .byApp: nil
            case .appDirectory(let app): app
            case .documentDirectory(let view, _), .entry(let view, _, _, _): view
            }
        }

        var document: String? {
            switch kind {
            case .documentDirectory(_, let document), .entry(_, let document, _, _): document
            default: nil
            }
        }
    }

    static let rootInode: UInt64 = 1
    static let byAppInode: UInt64 = 2

    private(set) var nodes: [UInt64: Node] = [
        rootInode: Node(kind: .root, parent: rootInode, hostName: "", lookups: 1),
        byAppInode: Node(kind: .byApp, parent: rootInode, hostName: "by-app", lookups: 1),
    ]
    private var byKind: [Kind: UInt64] = [.root: rootInode, .byApp: byAppInode]
    private var nextInode: UInt64 = 3

    subscript(inode: UInt64) -> Node? { nodes[inode] }

    func inode(of kind: Kind) -> UInt64? { byKind[kind] }

    /// The node for `kind`, created if needed, with one more kernel lookup
    /// reference (every entry reply counts one).
    mutating func reference(_ kind: Kind, parent: UInt64, hostName: String) -> UInt64 {
        if let existing = byKind[kind] {
            nodes[existing]!.lookups += 1
            nodes[existing]!.parent = parent
            nodes[existing]!.hostName = hostName
            return existing
        }
        let inode = nextInode
        nextInode += 1
        nodes[inode] = Node(kind: kind, parent: parent, hostName: hostName, lookups: 1)
        byKind[kind] = inode
        return inode
    }

    /// The kernel dropped `count` references; the node goes with the last.
    mutating func forget(_ inode: UInt64, count: UInt64) {
        guard inode > Self.byAppInode, var node = nodes[inode] else { return }
        node.lookups -= min(count, node.lookups)
        if node.lookups == 0 {
            nodes[inode] = nil
            byKind[node.kind] = nil
        } else {
            nodes[inode] = node
        }
    }

    /// The entry nodes from the document's top down to `inode`: the names
    /// that lead from the document's directory to its host file.
    func entryChain(to inode: UInt64) -> [Node] {
        var chain: [Node] = []
        var current = nodes[inode]
        while let node = current, case .entry = node.kind {
            chain.append(node)
            current = nodes[node.parent]
        }
        return chain.reversed()
    }

    mutating func move(_ inode: UInt64, parent: UInt64, hostName: String) {
        nodes[inode]?.parent = parent
        nodes[inode]?.hostName = hostName
    }

    mutating func setCacheStamp(_ inode: UInt64, _ stamp: [Int]) {
        nodes[inode]?.cacheStamp = stamp
    }
}
