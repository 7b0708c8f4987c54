/// The unprivileged user tests run sandboxes and launchers as (the tests
/// themselves run as root; an app never does).
public enum Nobody {
    public static let uid: UInt32 = 65534

    /// `setpriv` switching to nobody with no groups and no inheritable
    /// capabilities, then running `program arguments…`: the one argv every
    /// test uses to act as an unprivileged user.
    public static func command(_ program: String, _ arguments: [String] = []) -> [String] {
        ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--inh-caps=-all", program] + arguments
    }
}
