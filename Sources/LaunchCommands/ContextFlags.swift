import ArgumentParser
package import PortalCommon

/// The values of Flatpak's permission flags (`--share=`, `--socket=`, …) as
/// given on a command line, each list in the order given. `ContextOptions`
/// declares them for ArgumentParser; `burrow run`'s quick parse fills this
/// directly.
package struct ContextFlags: Equatable, Sendable {
    package var share: [String]
    package var unshare: [String]
    package var socket: [String]
    package var nosocket: [String]
    package var device: [String]
    package var nodevice: [String]
    package var allow: [String]
    package var disallow: [String]
    package var filesystem: [String]
    package var nofilesystem: [String]
    package var persist: [String]
    package var env: [String]
    package var unsetEnv: [String]
    package var ownName: [String]
    package var talkName: [String]
    package var noTalkName: [String]
    package var systemOwnName: [String]
    package var systemTalkName: [String]
    package var systemNoTalkName: [String]

    // No defaults above: a field added here does not compile until
    // `ContextOptions.flags` (and this) fill it, so no flag is dropped.
    package static let none = ContextFlags(
        share: [], unshare: [], socket: [], nosocket: [], device: [], nodevice: [], allow: [], disallow: [],
        filesystem: [], nofilesystem: [], persist: [], env: [], unsetEnv: [], ownName: [], talkName: [],
        noTalkName: [], systemOwnName: [], systemTalkName: [], systemNoTalkName: [])

    package var isEmpty: Bool {
        [share, unshare, socket, nosocket, device, nodevice, allow, disallow, filesystem, nofilesystem, persist, env,
         unsetEnv, ownName, talkName, noTalkName, systemOwnName, systemTalkName, systemNoTalkName].allSatisfy(\.isEmpty)
    }

    /// The context these flags describe, negations included, ready to be
    /// merged over an app's metadata.
    package func context() throws -> PermissionContext {
        // Most launches give no flag: no key file to build and parse.
        if isEmpty { return PermissionContext() }
        let keyFile = KeyFile(fileName: "command line")
        func list(_ key: String, _ granted: [String], _ revoked: [String]) throws {
            let values = granted + revoked.map { "!" + $0 }
            if !values.isEmpty { try keyFile.set(values, forKey: key, in: "Context") }
        }
        try list("shared", share, unshare)
        try list("sockets", socket, nosocket)
        try list("devices", device, nodevice)
        try list("features", allow, disallow)
        try list("filesystems", filesystem, nofilesystem)
        try list("persistent", persist, [])
        for assignment in env {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw ValidationError("--env needs VAR=VALUE, got \(assignment.debugDescription)")
            }
            try keyFile.set(String(assignment[assignment.index(after: equals)...]), forKey: String(assignment[..<equals]), in: "Environment")
        }
        if !unsetEnv.isEmpty { try keyFile.set(unsetEnv, forKey: "unset-environment", in: "Context") }
        for (names, level, group) in [
            (ownName, "own", "Session Bus Policy"), (talkName, "talk", "Session Bus Policy"), (noTalkName, "none", "Session Bus Policy"),
            (systemOwnName, "own", "System Bus Policy"), (systemTalkName, "talk", "System Bus Policy"),
            (systemNoTalkName, "none", "System Bus Policy"),
        ] {
            for name in names { try keyFile.set(level, forKey: name, in: group) }
        }
        return try PermissionContext(keyFile: keyFile)
    }
}
