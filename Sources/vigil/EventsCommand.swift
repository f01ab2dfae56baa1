public import ArgumentParser
import VigilAudit
import VigilCore
public import VigilReport

extension EventWriter.Format: ExpressibleByArgument {}

/// `vigil events PATH…`: every event, one per line, before any rule runs.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract:
            "Print the events Vigil reads from captures and logs, one per line, with their file and packet or line.")

    @Argument(help: "Captures, logs, folders, or - for standard input.")
    var paths: [String]

    @Option(name: .long, help: "jsonl (default) or text.")
    var format: EventWriter.Format = .jsonl

    @Flag(name: .customLong("reveal-secrets"), help: "Print credentials' secrets in clear.")
    var revealSecrets = false

    @Flag(name: .long, help: "Print no warnings on standard error, only errors.")
    var quiet = false

    @OptionGroup var analysis: AnalysisOptions
    @OptionGroup var secrets: DigestKeyOption

    func run() throws {
        let writer = EventWriter(format: format, revealSecrets: revealSecrets, digest: try secrets.digest(quiet: quiet))
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 17)
        try analysis.validate()
        let result = try Audit.events(paths, limits: analysis.limits, logOptions: analysis.logOptions) { event in
            if writer.format == .jsonl {
                writer.appendJSON(event, to: &buffer)
            } else {
                buffer.append(contentsOf: writer.line(event).utf8)
            }
            buffer.append(0x0A)
            if buffer.count > 1 << 16 {
                FileHandleWriter.standardOutput.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        FileHandleWriter.standardOutput.write(buffer)
        if !quiet {
            for input in result.inputs {
                for warning in input.warnings { Terminal.warn("\(input.path): \(warning)") }
            }
        }
        for error in result.errors { Terminal.error(error) }
        if !result.errors.isEmpty { throw ExitCode(2) }
    }
}
