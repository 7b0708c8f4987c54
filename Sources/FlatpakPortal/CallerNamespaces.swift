internal import CLinux
import FoundationEssentials
import Glibc
import PortalCommon
import Runtime

/// The namespaces of the caller's sandbox, for SHARE_PIDS and EXPOSE_PIDS.
///
/// The bus peer may be the sandbox's D-Bus proxy (a bwrap of its own), so
/// the sandbox is found as upstream finds it: the instance named by the
/// caller's read-only /.flatpak-info, whose bwrapinfo.json gives the pid of
/// the sandbox's first process. That pid is held by a pidfd, checked to
/// still be that instance, and its namespaces opened while it lives.
enum CallerNamespaces {
    static func of(_ caller: AppInfo.SandboxedApp, runtimeDirectory: String, newPIDNamespace: Bool)
        throws(PortalError) -> SandboxPlan.ParentNamespaces {
        guard let pid = sandboxPID(caller, runtimeDirectory: runtimeDirectory) else {
            throw .failed("cannot find the caller's sandbox (instance \(caller.instanceID)) to share its process ids")
        }
        let pidfd = burrow_pidfd_open(pid, 0)
        guard pidfd >= 0 else { throw .failed("the caller's sandbox has exited") }
        defer { close(pidfd) }
        // The pid is ours to trust only if it is still that instance.
        let info = (try? String(contentsOfFile: "/proc/\(pid)/root/.flatpak-info", encoding: .utf8)) ?? ""
        guard info.split(separator: "\n").contains(Substring("instance-id=\(caller.instanceID)")) else {
            throw .failed("the caller's sandbox has exited")
        }
        let pidNamespace = open("/proc/\(pid)/ns/pid", O_RDONLY | O_CLOEXEC)
        // The user namespace that owns the pid namespace: joining a pid
        // namespace needs its owner's capabilities. (The app itself sits in
        // a nested one that only exists to forbid further user namespaces;
        // its owner keeps that limit: the nested one used its only slot.)
        let user = pidNamespace >= 0 ? burrow_ns_owner(pidNamespace) : -1
        guard user >= 0, pidNamespace >= 0, burrow_pidfd_send_signal(pidfd, 0, 0) == 0 else {
            if user >= 0 { close(user) }
            if pidNamespace >= 0 { close(pidNamespace) }
            throw .failed("cannot open the namespaces of the caller's sandbox")
        }
        return SandboxPlan.ParentNamespaces(user: UnixFD(takingOwnershipOf: user), pid: UnixFD(takingOwnershipOf: pidNamespace),
                                            newPIDNamespace: newPIDNamespace)
    }

    /// The pid, in the caller's pid namespace, of process `pid` (0 if it
    /// is not visible there): SpawnStarted's relpid.
    static func relativePID(of pid: Int32, caller: AppInfo.SandboxedApp, runtimeDirectory: String) -> UInt32 {
        guard let sandbox = sandboxPID(caller, runtimeDirectory: runtimeDirectory) else { return 0 }
        let depth = namespacePIDs(sandbox).count
        let chain = namespacePIDs(pid)
        guard depth > 0, chain.count >= depth else { return 0 }
        return UInt32(chain[depth - 1])
    }

    private static func sandboxPID(_ caller: AppInfo.SandboxedApp, runtimeDirectory: String) -> Int32? {
        InstanceRecord(id: caller.instanceID, runtimeDirectory: runtimeDirectory)?.sandboxPID.flatMap { $0 > 0 ? $0 : nil }
    }

    /// `NSpid:` of /proc/PID/status: the pid in each namespace, outermost first.
    private static func namespacePIDs(_ pid: Int32) -> [Int] {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("NSpid:") }) else { return [] }
        return line.dropFirst("NSpid:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }
    }
}
