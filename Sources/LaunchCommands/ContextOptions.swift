import ArgumentParser
package import PortalCommon

/// Flatpak's permission flags (`--share=`, `--socket=`, `--filesystem=`, …),
/// shared by build-finish, run and override.
///
/// The flags are turned into the `[Context]`-shaped keyfile they stand for
/// and parsed by `PermissionContext` — the same validation as an app's
/// metadata, so a flag can never grant what a metadata file could not say.
package struct ContextOptions: ParsableArguments {
    package init() {}

    @Option(name: .customLong("share"), help: "Share with the host: network, ipc.") var share: [String] = []
    @Option(name: .customLong("unshare"), help: "Unshare: network, ipc.") var unshare: [String] = []
    @Option(name: .customLong("socket"), help: "Expose a socket: x11, wayland, fallback-x11, pulseaudio, session-bus, system-bus, ssh-auth, pcsc, cups, gpg-agent.")
    var socket: [String] = []
    @Option(name: .customLong("nosocket"), help: "Do not expose a socket.") var nosocket: [String] = []
    @Option(name: .customLong("device"), help: "Expose a device: dri, kvm, shm, all.") var device: [String] = []
    @Option(name: .customLong("nodevice"), help: "Do not expose a device.") var nodevice: [String] = []
    @Option(name: .customLong("allow"), help: "Allow a feature: devel, multiarch, bluetooth, canbus, per-app-dev-shm.") var allow: [String] = []
    @Option(name: .customLong("disallow"), help: "Disallow a feature.") var disallow: [String] = []
    @Option(name: .customLong("filesystem"), help: "Expose a path: home, host, host-os, host-etc, xdg-*, ~/dir, /dir, with :ro, :rw or :create.")
    var filesystem: [String] = []
    @Option(name: .customLong("nofilesystem"), help: "Do not expose a path.") var nofilesystem: [String] = []
    @Option(name: .customLong("persist"), help: "Keep ~/DIR in the app's data directory.") var persist: [String] = []
    @Option(name: .customLong("env"), help: "Set an environment variable: VAR=VALUE.") var env: [String] = []
    @Option(name: .customLong("unset-env"), help: "Unset an environment variable.") var unsetEnv: [String] = []
    @Option(name: .customLong("own-name"), help: "Allow owning a name on the session bus.") var ownName: [String] = []
    @Option(name: .customLong("talk-name"), help: "Allow talking to a name on the session bus.") var talkName: [String] = []
    @Option(name: .customLong("no-talk-name"), help: "Forbid talking to a name on the session bus.") var noTalkName: [String] = []
    @Option(name: .customLong("system-own-name"), help: "Allow owning a name on the system bus.") var systemOwnName: [String] = []
    @Option(name: .customLong("system-talk-name"), help: "Allow talking to a name on the system bus.") var systemTalkName: [String] = []
    @Option(name: .customLong("system-no-talk-name"), help: "Forbid talking to a name on the system bus.") var systemNoTalkName: [String] = []

    /// The flags as plain values.
    package var flags: ContextFlags {
        ContextFlags(share: share, unshare: unshare, socket: socket, nosocket: nosocket, device: device, nodevice: nodevice,
                     allow: allow, disallow: disallow, filesystem: filesystem, nofilesystem: nofilesystem, persist: persist,
                     env: env, unsetEnv: unsetEnv, ownName: ownName, talkName: talkName, noTalkName: noTalkName,
                     systemOwnName: systemOwnName, systemTalkName: systemTalkName, systemNoTalkName: systemNoTalkName)
    }

    package var isEmpty: Bool { flags.isEmpty }

    /// The context these flags describe, negations included, ready to be
    /// merged over an app's metadata.
    package func context() throws -> PermissionContext { try flags.context() }
}
