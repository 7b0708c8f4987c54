import Installer
import PortalCommon

extension RemoteSummary {
    /// The app and runtime refs the remote offers.
    var flatpakRefs: [FlatpakRef] {
        refs.keys.compactMap { try? FlatpakRef(parsing: $0) }
    }
}
