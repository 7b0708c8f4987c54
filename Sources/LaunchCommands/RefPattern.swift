package import PortalCommon
import Runtime

/// Turns what a user types (`org.example.Hello`, `org.example.Hello//stable`,
/// `runtime/org.example.Platform/x86_64/1`, …) into one full ref, the way
/// flatpak matches partial refs: missing arch means this machine's, missing
/// branch means any, and apps are preferred over runtimes unless the kind
/// was given.
package struct RefPattern: CustomStringConvertible {
    package var kind: FlatpakRef.Kind?
    package var id: String
    package var arch: String?
    package var branch: String?
    package let text: String

    package var description: String { text }

    package init(_ text: String, kind forced: FlatpakRef.Kind? = nil) throws {
        self.text = text
        var parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if let first = parts.first, let kind = FlatpakRef.Kind(rawValue: first), parts.count == 4 {
            self.kind = kind
            parts.removeFirst()
        } else {
            self.kind = forced
        }
        guard (1...3).contains(parts.count), let id = parts.first, AppID(rawValue: id) != nil else {
            throw CLIError("invalid ref \(text.debugDescription): expected ID, ID//BRANCH, ID/ARCH/BRANCH or KIND/ID/ARCH/BRANCH"
                + (parts.first.flatMap { AppID.invalidityReason($0) }.map { " (\($0))" } ?? ""))
        }
        self.id = id
        arch = parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil
        branch = parts.count > 2 && !parts[2].isEmpty ? parts[2] : nil
    }

    package func matches(_ ref: FlatpakRef, defaultArch: String) -> Bool {
        (kind == nil || kind == ref.kind) && ref.id.rawValue == id
            && ref.arch == (arch ?? defaultArch) && (branch == nil || ref.branch == branch)
    }

    /// The one ref among `candidates` this pattern names; apps win over
    /// runtimes when the kind was not given; several branches are an error
    /// that lists them (flatpak would ask; a script needs a clear answer).
    package func resolve(among candidates: [FlatpakRef], defaultArch: String = FlatpakArch.current, where place: String) throws -> FlatpakRef {
        var matching = candidates.filter { matches($0, defaultArch: defaultArch) }
        if kind == nil, matching.contains(where: { $0.kind == .app }) {
            matching = matching.filter { $0.kind == .app }
        }
        switch matching.count {
        case 0: throw CLIError("nothing matches \(text) in \(place)")
        case 1: return matching[0]
        default:
            let names = matching.map(\.description).sorted().joined(separator: ", ")
            throw CLIError("\(text) is ambiguous in \(place): \(names); name the branch, e.g. \(id)//\(matching[0].branch)")
        }
    }
}
