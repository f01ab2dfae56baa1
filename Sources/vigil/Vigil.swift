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
            Terminal.error(error.description)
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

    func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
