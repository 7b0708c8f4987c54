// swift-tools-version:6.0
// burrow: Flatpak's desktop side (installer/launcher, portals, document store) in Swift.
// Layering (shared/design.md): launcher → Runtime → PortalCommon → C modules,
// with design.md's Runtime split in two so a launch never loads libostree:
// Runtime (installations as directories, the sandbox plan, launching) and
// Installer (OSTree: remotes, pulls, deploys, publishing) above it. `burrow`
// (BurrowEntry) links LaunchCommands → Runtime only; `burrow-cli` (launcher)
// links everything. The daemons import PortalCommon (FlatpakPortal also
// Runtime and Installer) and never each other.
import PackageDescription

/// A `.systemLibrary` C module: a module map plus a shim header that only wraps
/// what Swift cannot import (macros, variadic or inline-only API).
func cModule(_ name: String, pkgConfig: String? = nil, apt: String) -> Target {
    .systemLibrary(
        name: name,
        path: "Sources/\(name)",
        pkgConfig: pkgConfig,
        providers: [.apt([apt])]
    )
}

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "burrow",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PortalCommon", targets: ["PortalCommon"]),
        .library(name: "PermissionData", targets: ["PermissionData"]),
        .library(name: "Runtime", targets: ["Runtime"]),
        .library(name: "Installer", targets: ["Installer"]),
        .executable(name: "burrow", targets: ["BurrowEntry"]),
        .executable(name: "burrow-cli", targets: ["launcher"]),
        .executable(name: "burrow-permission-store", targets: ["PermissionStore"]),
        .executable(name: "burrow-document-portal", targets: ["DocumentPortal"]),
        .executable(name: "burrow-flatpak-portal", targets: ["FlatpakPortal"]),
        .executable(name: "burrow-desktop-portal", targets: ["DesktopPortal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // sd-bus, loaded on first use (see its header): headers only at build time.
        .target(name: "CSystemd"),
        cModule("CGLib", pkgConfig: "glib-2.0", apt: "libglib2.0-dev"),
        cModule("COSTree", pkgConfig: "ostree-1", apt: "libostree-dev"),
        cModule("CFuse3", pkgConfig: "fuse3", apt: "libfuse3-dev"),
        cModule("CSeccomp", pkgConfig: "libseccomp", apt: "libseccomp-dev"),
        cModule("CSQLite", pkgConfig: "sqlite3", apt: "libsqlite3-dev"),
        cModule("CLinux", apt: "linux-libc-dev"),
        // GIO, opened with dlopen at first use (see its header): not linked.
        .target(name: "GIOLoader"),
        cModule("CSodium", pkgConfig: "libsodium", apt: "libsodium-dev"),
        cModule("CCurl", pkgConfig: "libcurl", apt: "libcurl4-gnutls-dev"),

        .target(
            name: "PortalCommon",
            dependencies: [
                "CSystemd", "CGLib", "CLinux",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // The permission store's SQLite tables, shared by the permission
        // store, the document portal and `burrow permission-*`. Apart from
        // PortalCommon so that `burrow run` does not load libsqlite3.
        .target(
            name: "PermissionData",
            dependencies: ["PortalCommon", "CSQLite"],
            swiftSettings: swiftSettings
        ),
        // Installations as directories of deployments, overrides, the
        // sandbox plan and its seccomp filter, launching; no D-Bus server
        // code and no OSTree: `burrow run` loads nothing it does not use.
        // The only importer of CSeccomp.
        .target(
            name: "Runtime",
            dependencies: [
                "PortalCommon", "CGLib", "CSeccomp", "CLinux",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // Remotes, OSTree pulls and deploys, bundles, repair, publishing,
        // ed25519 signatures, fetching .flatpakrepo/.flatpakref files: what
        // changes an installation. The only importer of COSTree, CSodium and
        // CCurl.
        .target(
            name: "Installer",
            dependencies: [
                "PortalCommon", "Runtime", "COSTree", "CGLib", "CLinux", "CSodium", "CCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // The launch verbs (run, ps, kill, enter), their options and the
        // error reporting both command-line executables share.
        .target(
            name: "LaunchCommands",
            dependencies: [
                "PortalCommon", "Runtime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // `burrow`: the launch verbs, without libostree; hands the rest to
        // `burrow-cli`.
        //
        // With --static-swift-stdlib, the Swift runtime's C++ references are
        // resolved from GCC's static libstdc++.a, not libstdc++.so: loading
        // and relocating that library was ~0.3 ms of each start of a
        // `burrow run` (its symbols stay hidden: the runtime links with
        // --exclude-libs ALL). Nothing `burrow` loads uses C++ itself. A
        // linker script named libstdc++.so, found first on the library
        // path, does it; builds with a shared Swift runtime pull nothing
        // from it (the executable has no C++ references of its own).
        .executableTarget(
            name: "BurrowEntry",
            dependencies: [
                "PortalCommon", "LaunchCommands",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings,
            linkerSettings: [.unsafeFlags(["-L\(Context.packageDirectory)/scripts/link/static-libstdc++"])]
        ),
        // `burrow-cli`, the whole command-line tool: one root command, a file
        // per subcommand.
        .executableTarget(
            name: "launcher",
            dependencies: [
                "PortalCommon", "PermissionData", "Runtime", "Installer", "LaunchCommands", "GIOLoader",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "PermissionStore",
            dependencies: [
                "PortalCommon", "PermissionData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `burrow-document-portal`: the Documents and FileTransfer portals and
        // the FUSE document store; the only importer of CFuse3.
        .executableTarget(
            name: "DocumentPortal",
            dependencies: [
                "PortalCommon", "PermissionData", "CFuse3", "CLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // `burrow-flatpak-portal`: Spawn for sandboxed apps, planned as
        // `burrow run` plans and started with bwrap from the portal.
        .executableTarget(
            name: "FlatpakPortal",
            dependencies: [
                "PortalCommon", "Runtime", "Installer", "CLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `burrow-desktop-portal`: FileChooser, OpenURI, Print and the host
        // Registry, dispatched to backends found through `.portal` files; the
        // user of GIOLoader besides burrow-cli's prompt (content types of file filters).
        .executableTarget(
            name: "DesktopPortal",
            dependencies: [
                "PortalCommon", "CGLib", "GIOLoader", "CLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Benchmarks (bench/run.sh); built with everything else, never installed.
        .executableTarget(
            name: "burrow-bench",
            dependencies: ["PortalCommon"],
            path: "bench/Sources/burrow-bench",
            swiftSettings: swiftSettings
        ),
        // Test helpers shared by the test targets: private bus, temp dirs,
        // processes, permission store daemons.
        .target(name: "TestSupport", dependencies: ["PortalCommon", "CLinux"], path: "Tests/Support"),
        .testTarget(
            name: "PortalCommonTests",
            dependencies: ["PortalCommon", "TestSupport", "CLinux"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KeyFileTests",
            dependencies: ["PortalCommon"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PermissionStoreTests",
            dependencies: ["PortalCommon", "PermissionData", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RuntimeTests",
            dependencies: [
                "Runtime", "Installer", "PortalCommon", "TestSupport",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // Runs the built `burrow` binary against real permission stores.
        .testTarget(
            name: "LauncherTests",
            dependencies: [
                "PortalCommon", "TestSupport", "LaunchCommands",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Runs the built `burrow prompt` in tmux on a private bus, calling its
        // backend interfaces directly and through Debian's xdg-desktop-portal.
        .testTarget(
            name: "PromptTests",
            dependencies: ["PortalCommon", "TestSupport", "launcher"],
            swiftSettings: swiftSettings
        ),
        // Runs the built `burrow-document-portal` as nobody, on a private bus
        // and a real FUSE mount.
        .testTarget(
            name: "DocumentPortalTests",
            dependencies: ["PortalCommon", "TestSupport", "CLinux"],
            swiftSettings: swiftSettings
        ),
        // Runs the built `burrow-desktop-portal` as nobody on a private bus,
        // with a fake backend of the test's own, the document portal and
        // real bwrap sandboxes as callers.
        .testTarget(
            name: "DesktopPortalTests",
            dependencies: ["PortalCommon", "TestSupport", "CLinux"],
            swiftSettings: swiftSettings
        ),
    ]
)
