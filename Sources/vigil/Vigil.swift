import ArgumentParser
import VigilCore

#if canImport(Glibc)
    import Glibc
#endif

/// The `vigil` command: subcommands for auditing, events and rules.
@main
struct Vigil: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Audit captures and logs for clear-text credentials, policy breaches and unmanaged devices.",
        discussion: """
            Exit codes: 0 ran and nothing reached --fail-on; 1 findings at or above it; \
            2 usage or input error.
            """,
        version: "vigil \(VigilVersion.current)",
        subcommands: [
            AuditCommand.self, EventsCommand.self, DevicesCommand.self, CaptureCommand.self, RulesCommand.self,
            WipeCommand.self, KeysCommand.self, CertCommand.self, LedgerCommand.self, SignoffCommand.self,
            ChecklistCommand.self,
        ]
    )

    /// Runs the command with the contract's exit codes: usage errors exit 2, not
    /// ArgumentParser's 64, and errors print as one line on stderr without a stack trace.
    static func main() {
        // Vigil's memory holds the clear-text secrets it finds: a crash must not write them to
        // a core file.
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch let error as VigilError {
            Terminal.error(error)
            Glibc.exit(2)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            Terminal.error(fullMessage(for: error), trusted: true)
            Glibc.exit(2)
        }
    }
}

/// Writing to the terminal: stderr lines and whether stdout wants colour.
enum Terminal {
    /// One error line. Values from inputs may hold control characters: they are shown, so no
    /// input can steer the terminal or forge a line; `trusted` text (argument-parser's usage
    /// messages) keeps its own line breaks.
    static func error(_ message: String, trusted: Bool = false) {
        let text = trusted ? message : Printable.visible(message)
        let line =
            text.hasPrefix("vigil: ") || text.hasPrefix("Error: ") || text.hasPrefix("Usage") ? text : "vigil: \(text)"
        FileHandleWriter.standardError.write(line.hasSuffix("\n") ? line : line + "\n")
    }

    /// One error line for `error`, its remedy said with the command line's flags.
    static func error(_ error: VigilError) {
        var error = error
        if let remedy = error.remedy { error.hint = Self.advice(remedy) }
        self.error(error.description)
    }

    /// What to do about an error, in flags and commands.
    static func advice(_ remedy: VigilError.Remedy) -> String {
        switch remedy {
        case .writeAFolderOfReports: "name a file, or use --output-dir"
        case .startOrNameAChecklistStore: "start one with vigil checklist breach or new, or name the store with --store"
        case .pinTheOrganisationCA: "name the organisation's CA certificate once (--ca ca.pem): the first entry pins it"
        case .issueAKey(let role?): "the organisation's CA issues roles: vigil keys issue --role \(role)"
        case .issueAKey(nil): "the organisation's CA issues keys and roles: vigil keys issue --role technician|approver"
        case .raiseTheGzipLimits:
            "the lines before it were analysed; for a genuine log, raise --max-gunzip-ratio or --max-gunzip-bytes"
        case .nameAnUnprivilegedUser: "pass --user with an existing unprivileged account"
        }
    }

    static func note(_ message: String) {
        FileHandleWriter.standardError.write("vigil: \(Printable.visible(message))\n")
    }

    static func warn(_ message: String) {
        FileHandleWriter.standardError.write("vigil: warning: \(Printable.visible(message))\n")
    }

    /// Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org).
    static var stdoutWantsColour: Bool {
        guard isatty(STDOUT_FILENO) == 1 else { return false }
        if let value = getenv("NO_COLOR"), value.pointee != 0 { return false }
        if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
        return true
    }
}

/// Unbuffered writes to a file descriptor.
struct FileHandleWriter {
    let descriptor: Int32
    static let standardError = FileHandleWriter(descriptor: STDERR_FILENO)
    static let standardOutput = FileHandleWriter(descriptor: STDOUT_FILENO)

    /// Writes all of `text`, retrying on `EINTR` and after short writes; a closed pipe (the
    /// reader went away) ends the writing quietly.
    func write(_ text: String) {
        write(Array(text.utf8))
    }

    /// Writes all of `bytes`, as the text is written.
    func write(_ bytes: [UInt8]) {
        try? SystemCall.writeAll(descriptor, bytes, path: nil)
    }
}
