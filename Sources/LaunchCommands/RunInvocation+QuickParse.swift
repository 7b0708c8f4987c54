/// A parse of `burrow run`'s common command lines without ArgumentParser.
///
/// Why: ArgumentParser builds its model of a command by reflecting over
/// every declared option on each start; for `run` (some thirty options)
/// that is ~1.7 ms of a ~20 ms launch, the largest cost in burrow's own
/// code before bwrap starts. This parse knows `run`'s long options and
/// answers only for command lines whose meaning is certain: `--NAME=VALUE`,
/// `--NAME VALUE` with a value not starting with `-`, flags, then the app
/// and its arguments. Anything else — help, short options, unknown or
/// repeated single options, `--`, empty values — answers nil and the caller
/// hands the command line to ArgumentParser, which stays the one authority
/// on syntax, help and errors. RunQuickParseTests checks that every option
/// here parses exactly as ArgumentParser parses it. One difference is
/// deliberate: after the app id every word is the app's, while
/// ArgumentParser still looks for `--generate-completion-script` there and
/// rejects malformed words such as `---x`; the quick parse passes them on,
/// as `run` promises.
extension RunInvocation {
    package static func quickParse(_ arguments: some Collection<String>) -> RunInvocation? {
        var parsed = RunInvocation(command: nil, branch: nil, arch: nil, runtime: nil, devel: false, cwd: nil, noA11yBus: false,
                                   permissions: .none, spawn: .none, app: "", arguments: [])
        var seen: Set<String> = []
        var index = arguments.startIndex
        while index != arguments.endIndex {
            let token = arguments[index]
            arguments.formIndex(after: &index)
            guard token.hasPrefix("-") else {
                // The app; everything after it is the app's, verbatim.
                parsed.app = token
                parsed.arguments = Array(arguments[index...])
                return parsed
            }
            guard token.hasPrefix("--"), token != "--" else { return nil }
            let body = token.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            let inline = body.firstIndex(of: "=").map { String(body[body.index(after: $0)...]) }
            guard let option = Self.option(named: name) else { return nil }
            // Single options given twice: ArgumentParser decides.
            if !option.repeats { guard seen.insert(name).inserted else { return nil } }
            var value = ""
            if option.takesValue {
                if let inline {
                    value = inline
                } else {
                    guard index != arguments.endIndex, !arguments[index].hasPrefix("-") else { return nil }
                    value = arguments[index]
                    arguments.formIndex(after: &index)
                }
                guard !value.isEmpty else { return nil }
            } else {
                guard inline == nil else { return nil }
            }
            guard parsed.apply(option, value) else { return nil }
        }
        return nil
    }

    enum QuickOption {
        case string(WritableKeyPath<RunInvocation, String?>)
        case list(WritableKeyPath<ContextFlags, [String]>)
        case flag(WritableKeyPath<RunInvocation, Bool>)
        case int(WritableKeyPath<RunInvocation, Int32?>)
        /// Descriptors: negative ones are left to SpawnOptions.validate.
        case descriptors(WritableKeyPath<RunInvocation, [Int32]>)

        var repeats: Bool {
            switch self {
            case .list, .descriptors: true
            case .string, .flag, .int: false
            }
        }

        var takesValue: Bool {
            if case .flag = self { return false }
            return true
        }
    }

    /// Stores `value` for `option`; false when it is not a valid value.
    private mutating func apply(_ option: QuickOption, _ value: String) -> Bool {
        switch option {
        case .string(let field): self[keyPath: field] = value
        case .list(let field): permissions[keyPath: field].append(value)
        case .flag(let field): self[keyPath: field] = true
        case .int(let field):
            guard let number = Int32(value) else { return false }
            self[keyPath: field] = number
        case .descriptors(let field):
            guard let number = Int32(value), number >= 0 else { return false }
            self[keyPath: field].append(number)
        }
        return true
    }

    /// `run`'s long options (RunCommand, ContextOptions, SpawnOptions).
    static func option(named name: String) -> QuickOption? {
        switch name {
        case "command": .string(\.command)
        case "branch": .string(\.branch)
        case "arch": .string(\.arch)
        case "runtime": .string(\.runtime)
        case "devel": .flag(\.devel)
        case "cwd": .string(\.cwd)
        case "no-a11y-bus": .flag(\.noA11yBus)
        case "share": .list(\.share)
        case "unshare": .list(\.unshare)
        case "socket": .list(\.socket)
        case "nosocket": .list(\.nosocket)
        case "device": .list(\.device)
        case "nodevice": .list(\.nodevice)
        case "allow": .list(\.allow)
        case "disallow": .list(\.disallow)
        case "filesystem": .list(\.filesystem)
        case "nofilesystem": .list(\.nofilesystem)
        case "persist": .list(\.persist)
        case "env": .list(\.env)
        case "unset-env": .list(\.unsetEnv)
        case "own-name": .list(\.ownName)
        case "talk-name": .list(\.talkName)
        case "no-talk-name": .list(\.noTalkName)
        case "system-own-name": .list(\.systemOwnName)
        case "system-talk-name": .list(\.systemTalkName)
        case "system-no-talk-name": .list(\.systemNoTalkName)
        case "commit": .string(\.spawn.commit)
        case "runtime-commit": .string(\.spawn.runtimeCommit)
        case "sandbox": .flag(\.spawn.sandbox)
        case "empty-app": .flag(\.spawn.emptyApp)
        case "forward-fd": .descriptors(\.spawn.forwardFD)
        case "instance-id-fd": .int(\.spawn.instanceIDFD)
        default: nil
        }
    }
}
