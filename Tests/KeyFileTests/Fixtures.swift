/// Files written by real Flatpak 1.14.10 and shipped by Debian 12, embedded byte for
/// byte (raw strings: `\s` below is GLib's escape, not Swift's).
enum Fixtures {
    /// `metadata` written by Flatpak 1.14.10 for:
    ///     flatpak build-init /tmp/x org.test.App org.test.Sdk org.test.Platform 1
    ///     flatpak build-finish /tmp/x --share=network --socket=wayland --filesystem=xdg-download:ro \
    ///         --talk-name=org.freedesktop.Notifications --command=hello
    static let buildFinishMetadata = #"""
    [Application]
    name=org.test.App
    runtime=org.test.Platform/x86_64/1
    sdk=org.test.Sdk/x86_64/1
    command=hello

    [Context]
    shared=network;
    sockets=wayland;
    filesystems=xdg-download:ro;

    [Session Bus Policy]
    org.freedesktop.Notifications=talk
    """# + "\n"

    /// `metadata` written by Flatpak 1.14.10's build-finish with negations, environment,
    /// bus names, an extension point and --extension-priority (which writes `[ExtensionOf] priority`):
    ///     --share=network --unshare=ipc --socket=wayland --nosocket=x11 --device=dri --allow=devel
    ///     --filesystem=xdg-download/sub:ro --filesystem=~/Games:create --filesystem=/opt/data
    ///     --nofilesystem=host-etc --persist=.mozilla --env=FOO=bar --env='SPACED= a b' --unset-env=BAR
    ///     --talk-name=org.freedesktop.Notifications --own-name=org.test.Rich.*
    ///     --system-talk-name=org.freedesktop.login1 --extension=org.test.Rich.Plugin=directory=plugins
    ///     --extension=org.test.Rich.Plugin=subdirectories=true --extension-priority=0 --command=hello
    static let richMetadata = #"""
    [Application]
    name=org.test.Rich
    runtime=org.test.Platform/x86_64/1
    sdk=org.test.Sdk/x86_64/1
    command=hello

    [Context]
    shared=network;!ipc;
    sockets=!x11;wayland;
    devices=dri;
    features=devel;
    filesystems=!host-etc;~/Games:create;/opt/data;xdg-download/sub:ro;
    persistent=.mozilla;
    unset-environment=BAR;

    [Session Bus Policy]
    org.freedesktop.Notifications=talk
    org.test.Rich.*=own

    [System Bus Policy]
    org.freedesktop.login1=talk

    [Environment]
    FOO=bar
    BAR=
    SPACED=\sa b

    [Extension org.test.Rich.Plugin]
    directory=plugins
    subdirectories=true

    [ExtensionOf]
    priority=0
    """# + "\n"

    /// The user override file `flatpak override --user --nosocket=wayland --nofilesystem=host:reset
    /// --filesystem=xdg-music --talk-name=org.kde.* --env=FOO=baz --unshare=network org.test.Rich` wrote.
    static let richOverride = #"""
    [Context]
    shared=!network;
    sockets=!wayland;
    filesystems=!host:reset;xdg-music;!host;

    [Session Bus Policy]
    org.kde.*=talk

    [Environment]
    FOO=baz
    """# + "\n"

    /// `/.flatpak-info` Flatpak 1.14.10 wrote for `flatpak run org.test.Rich` (no overrides).
    static let richFlatpakInfo = #"""
    [Application]
    name=org.test.Rich
    runtime=runtime/org.test.Platform/x86_64/1

    [Instance]
    instance-id=3634336602
    instance-path=/root/.var/app/org.test.Rich
    app-path=/tmp/fpuser/app/org.test.Rich/x86_64/master/df35f2369afb95e2fe81b4550c2ece17d4735651a4b57b7db3a8dca65c6cd68b/files
    app-commit=df35f2369afb95e2fe81b4550c2ece17d4735651a4b57b7db3a8dca65c6cd68b
    runtime-path=/tmp/fpuser/runtime/org.test.Platform/x86_64/1/0ff105410d5119154eede94d77fa3ce6f4cde4e3ebc99482564f295d62730d31/files
    runtime-commit=0ff105410d5119154eede94d77fa3ce6f4cde4e3ebc99482564f295d62730d31
    branch=master
    arch=x86_64
    flatpak-version=1.14.10
    session-bus-proxy=true
    system-bus-proxy=true
    devel=true

    [Context]
    shared=network;
    sockets=wayland;
    devices=dri;
    features=devel;
    filesystems=xdg-download/sub:ro;~/Games:create;/opt/data;
    persistent=.mozilla;
    unset-environment=BAR;

    [Session Bus Policy]
    org.freedesktop.Notifications=talk
    org.test.Rich.*=own

    [System Bus Policy]
    org.freedesktop.login1=talk

    [Environment]
    FOO=bar
    BAR=
    SPACED=\sa b
    """# + "\n"

    /// `/.flatpak-info` for the same app with `richOverride` in place: Flatpak's own merge result.
    static let richFlatpakInfoWithOverride = #"""
    [Application]
    name=org.test.Rich
    runtime=runtime/org.test.Platform/x86_64/1

    [Instance]
    instance-id=295207420
    instance-path=/root/.var/app/org.test.Rich
    app-path=/tmp/fpuser/app/org.test.Rich/x86_64/master/df35f2369afb95e2fe81b4550c2ece17d4735651a4b57b7db3a8dca65c6cd68b/files
    app-commit=df35f2369afb95e2fe81b4550c2ece17d4735651a4b57b7db3a8dca65c6cd68b
    runtime-path=/tmp/fpuser/runtime/org.test.Platform/x86_64/1/0ff105410d5119154eede94d77fa3ce6f4cde4e3ebc99482564f295d62730d31/files
    runtime-commit=0ff105410d5119154eede94d77fa3ce6f4cde4e3ebc99482564f295d62730d31
    branch=master
    arch=x86_64
    flatpak-version=1.14.10
    session-bus-proxy=true
    system-bus-proxy=true
    devel=true

    [Context]
    devices=dri;
    features=devel;
    filesystems=xdg-music;
    persistent=.mozilla;
    unset-environment=BAR;

    [Session Bus Policy]
    org.freedesktop.Notifications=talk
    org.test.Rich.*=own
    org.kde.*=talk

    [System Bus Policy]
    org.freedesktop.login1=talk

    [Environment]
    FOO=baz
    BAR=
    SPACED=\sa b
    """# + "\n"

    /// `/usr/share/xdg-desktop-portal/portals/gtk.portal` from Debian 12's xdg-desktop-portal-gtk.
    static let gtkPortal = #"""
    [portal]
    DBusName=org.freedesktop.impl.portal.desktop.gtk
    Interfaces=org.freedesktop.impl.portal.FileChooser;org.freedesktop.impl.portal.AppChooser;org.freedesktop.impl.portal.Print;org.freedesktop.impl.portal.Notification;org.freedesktop.impl.portal.Inhibit;org.freedesktop.impl.portal.Access;org.freedesktop.impl.portal.Account;org.freedesktop.impl.portal.Email;org.freedesktop.impl.portal.DynamicLauncher;org.freedesktop.impl.portal.Lockdown;org.freedesktop.impl.portal.Settings;
    UseIn=gnome
    """# + "\n"
}
