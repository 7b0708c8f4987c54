import Glibc
import PortalCommon

/// Lockdown switches (upstream reads them from an impl.portal.Lockdown
/// backend's properties; burrow reads them from a keyfile):
///
/// ```
/// # /etc/burrow/desktop-portal.conf, $XDG_CONFIG_DIRS/burrow/desktop-portal.conf
/// # or $XDG_CONFIG_HOME/burrow/desktop-portal.conf
/// [lockdown]
/// disable-printing=true
/// disable-save-to-disk=true
/// disable-application-handlers=true
/// ```
///
/// Read once at start-up. A switch set to true in any of the files wins:
/// lockdown is an administrator's decision that a user's file must not undo.
struct Lockdown: Sendable, Equatable {
    var disablePrinting = false
    var disableSaveToDisk = false
    var disableApplicationHandlers = false

    static let fileName = "burrow/desktop-portal.conf"

    static func paths(environment: [String: String]) -> [String] {
        let locations = PortalConfiguration.Locations.fromEnvironment(environment)
        return ([locations.configHome].compactMap { $0 } + locations.configDirectories + ["/etc"]).map { $0 + "/" + fileName }
    }

    /// The switches from every file that exists; unreadable files are
    /// reported in `problems` and otherwise ignored.
    static func load(environment: [String: String]) -> (Lockdown, problems: [String]) {
        var lockdown = Lockdown()
        var problems: [String] = []
        for path in paths(environment: environment) where access(path, F_OK) == 0 {
            do {
                let file = try KeyFile(contentsOfFile: path)
                lockdown.disablePrinting = try lockdown.disablePrinting || file.bool(forKey: "disable-printing", in: "lockdown") == true
                lockdown.disableSaveToDisk = try lockdown.disableSaveToDisk || file.bool(forKey: "disable-save-to-disk", in: "lockdown") == true
                lockdown.disableApplicationHandlers = try lockdown.disableApplicationHandlers
                    || file.bool(forKey: "disable-application-handlers", in: "lockdown") == true
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        return (lockdown, problems)
    }
}
