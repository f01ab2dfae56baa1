public import ArgumentParser
import Foundation
import Synchronization
import VigilAudit
import VigilCapture
import VigilCore
import VigilLogs
public import VigilReport
import VigilRules

extension ReportFormat: ExpressibleByArgument {}

/// `--fail-on`: the severity from which findings make the exit code 1.
enum FailThreshold: String, ExpressibleByArgument, CaseIterable {
    case info, low, medium, high, critical, none

    var severity: Severity? { Severity(rawValue: rawValue) }
}

/// `vigil audit PATH…`
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read captures (files or folders) and report what the rules find.")

    @Argument(
        help: "Captures (pcap, pcapng), logs (plain, .gz, journald JSON, web server), folders, or - for standard input."
    )
    var paths: [String]

    @OptionGroup var report: ReportOptions
    @OptionGroup var analysis: AnalysisOptions

    @Option(
        name: .long,
        help:
            "The asset inventory, a CSV with a header (asset_tag, hostname, mac, ip, owner, status): devices not in it are unmanaged. A .csv with such a header among the paths is read the same way."
    )
    var inventory: String?

    func run() throws {
        try analysis.validate()
        var destination = try report.destination()
        // The rules load on a thread of their own while the first packets are read.
        let report = report
        var audit = Audit(
            loadingRules: { try report.loadRules() }, revealSecrets: report.revealSecrets, limits: analysis.limits,
            logOptions: analysis.logOptions)
        if let inventory { audit.inventory = try Inventory(path: inventory) }
        audit.digest = try report.secrets.digest(quiet: report.quiet)
        audit.timeZone = analysis.timezone
        audit.ruleThreads = analysis.threads
        // Progress on a terminal only: inputs done, findings come at the end.
        if !report.quiet && isatty(2) == 1 {
            audit.progress = { step in
                let read = step.input.packets.map { "\($0) packets" } ?? step.input.lines.map { "\($0) lines" } ?? ""
                let line =
                    "\r[\(step.filesDone)/\(step.files) files, \(ByteCount.text(step.bytesDone)) of \(ByteCount.text(step.bytes)), "
                    + "\(step.findings) findings so far] \(step.input.path) (\(read))"
                FileHandleWriter.standardError.write(
                    line.padding(toLength: max(line.count, 110), withPad: " ", startingAt: 0))
                if step.filesDone == step.files { FileHandleWriter.standardError.write("\n") }
            }
        }
        let result = try audit.run(paths)
        try report.write(result.report, to: &destination)
        // With the report in files, a short summary on the terminal.
        if !report.quiet && (report.output != nil || report.outputDirectory != nil) {
            Terminal.note(Self.summary(result.report, written: report.outputDirectory ?? report.output ?? ""))
        }
        let skipped = result.report.inputs.filter { $0.status == .skipped }
        if !report.quiet && !skipped.isEmpty {
            Terminal.warn(
                "skipped \(skipped.count) input(s): "
                    + skipped.map { "\($0.path) (\($0.reason ?? ""))" }.joined(separator: ", "))
        }
        for error in result.errors { Terminal.error(error) }
        if !result.errors.isEmpty { throw ExitCode(2) }
        try report.exitForFindings(result.report)
    }
}

extension AuditCommand {
    /// One paragraph: inputs and their warnings, findings by severity and category, devices,
    /// where the report went.
    static func summary(_ report: Report, written: String) -> String {
        let warnings = report.inputs.reduce(0) { $0 + $1.warnings.count }
        let read = report.inputs.filter { $0.status == .read || $0.status == .partial }.count
        var text = "\(read) input(s) read (\(warnings) warning(s))"
        let skipped = report.inputs.filter { $0.status == .skipped }.count
        let failed = report.inputs.filter(\.isFailure).count
        if skipped > 0 { text += ", \(skipped) skipped" }
        if failed > 0 { text += ", \(failed) NOT READ WHOLE" }
        text += "; \(report.findings.count) finding(s): "
        text += report.countsBySeverity.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        let categories = Category.allCases.compactMap { category -> String? in
            let count = report.findings.filter { $0.category == category }.count
            return count > 0 ? "\(count) \(category.rawValue)" : nil
        }
        if !categories.isEmpty { text += " (" + categories.joined(separator: ", ") + ")" }
        text += "; \(report.devices.count) device(s)"
        if report.devices.contains(where: \.managed) {
            text += ", \(report.devices.filter { !$0.managed }.count) not in the inventory"
        }
        return text + "; report: \(written)"
    }
}

/// How captures are analysed (`audit`, `events`).
struct AnalysisOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "Threads analysing each capture besides the one reading it, and running the rules (default: the processors the readers leave, 1 to 8)."
    )
    var threads: Int?

    @Option(name: .long, help: "The year of log times written without one (default: inferred from each file's date).")
    var year: Int?

    @Option(
        name: .long,
        help:
            "The time zone of log times written without one: UTC, +02:00, Europe/Paris or a POSIX TZ rule (default: this machine's)."
    )
    var timezone: String?

    @Option(name: .customLong("max-line-bytes"), help: "Longest log line read; the rest is skipped (default 65536).")
    var maxLineBytes: Int?

    @Option(name: .customLong("max-gunzip-bytes"), help: "Most bytes a gzip log may expand to (default 64 GiB).")
    var maxGunzipBytes: Int64?

    @Option(
        name: .customLong("max-gunzip-ratio"),
        help: "Largest expansion ratio of a gzip log past its first 64 MiB (default 250).")
    var maxGunzipRatio: Int?

    @Option(name: .customLong("max-flows"), help: "TCP connections followed at once in a capture (default 200000).")
    var maxFlows: Int?

    func validate() throws {
        if let maxLineBytes, !(256...(16 << 20)).contains(maxLineBytes) {
            throw ValidationError("--max-line-bytes takes 256 to 16777216")
        }
        if let maxGunzipBytes, maxGunzipBytes < 1 << 20 {
            throw ValidationError("--max-gunzip-bytes takes at least 1 MiB")
        }
        if let maxGunzipRatio, maxGunzipRatio < 2 { throw ValidationError("--max-gunzip-ratio takes at least 2") }
        if let maxFlows, !(1...10_000_000).contains(maxFlows) {
            throw ValidationError("--max-flows takes 1 to 10000000")
        }
        if let threads, !(1...8).contains(threads) {
            throw ValidationError("--threads takes a number from 1 to 8")
        }
        if let year, !(1970...2999).contains(year) { throw ValidationError("--year takes a year from 1970 to 2999") }
        if let timezone, LogTimeZone(timezone) == nil {
            throw ValidationError(
                "--timezone: '\(timezone)' is no zone Vigil knows (UTC, +02:00, Europe/Paris, CET-1CEST,M3.5.0,M10.5.0/3)"
            )
        }
    }

    var logOptions: LogOptions {
        var options = LogOptions(zone: timezone.flatMap { LogTimeZone($0) } ?? .local, year: year)
        if let maxLineBytes { options.limits.maxLineBytes = maxLineBytes }
        if let maxGunzipBytes { options.limits.maxDecompressedBytes = maxGunzipBytes }
        if let maxGunzipRatio { options.limits.maxCompressionRatio = maxGunzipRatio }
        return options
    }

    var limits: CaptureLimits {
        var limits = CaptureLimits()
        if let maxFlows { limits.maxFlows = maxFlows }
        if let threads { limits.analysisThreads = threads }
        return limits
    }
}

/// The options of every command that runs rules and writes a report (`audit`, `capture`).
struct ReportOptions: ParsableArguments {
    @OptionGroup var rules: RuleSourceOptions

    @Option(
        name: .long,
        help:
            "Report format: \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", ")); repeat for several (with --output-dir)."
    )
    var format: [ReportFormat] = []

    @Option(name: .long, help: "Write the report to this file instead of standard output.")
    var output: String?

    @Option(
        name: .customLong("output-dir"),
        help:
            "Write every format (or those named with --format) to this folder: report.html, report.json, report.sarif, findings.csv, report.md, report.txt."
    )
    var outputDirectory: String?

    @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding is at least this severe ('none': never).")
    var failOn: FailThreshold = .high

    @Flag(name: .customLong("reveal-secrets"), help: "Print credentials' secrets in clear (they are evidence).")
    var revealSecrets = false

    @Flag(name: .long, help: "Print no progress, warnings or notes on standard error, only errors.")
    var quiet = false

    @OptionGroup var secrets: DigestKeyOption

    /// The rules to run, with their notes printed unless `--quiet`.
    func loadRules() throws -> RuleSet {
        let set = try rules.load(quiet: quiet)
        return set
    }

    /// The formats `--output-dir` writes.
    private var directoryFormats: [ReportFormat] { format.isEmpty ? ReportFormat.allCases : format }

    /// Where the report goes, checked now, before any analysis (a folder that does not exist, a
    /// link, a folder of other files are said at once, not after an hour of reading).
    func destination() throws -> ReportOutput {
        let output: ReportOutput
        if let outputDirectory {
            output = ReportOutput(destination: .folder(outputDirectory), formats: directoryFormats)
        } else {
            guard format.count <= 1 else {
                throw ValidationError("several --format need --output-dir (one file per format)")
            }
            output = ReportOutput(
                destination: self.output.map { .file($0) } ?? .standardOutput, formats: [format.first ?? .text])
        }
        try output.check()
        return output
    }

    /// Writes `report` to `destination`, then the inputs' warnings unless `--quiet`.
    func write(_ report: Report, to destination: inout ReportOutput) throws {
        let written = try destination.write(
            report, colour: output == nil && Terminal.stdoutWantsColour,
            standardOutput: FileHandleWriter.standardOutput.write)
        if outputDirectory != nil && !quiet { Terminal.note("wrote " + written.joined(separator: ", ")) }
        guard !quiet else { return }
        for input in report.inputs {
            for warning in input.warnings { Terminal.warn("\(input.path): \(warning)") }
        }
    }

    /// Exits 2 when a rule had an error (it did not run: the audit did not look for what it
    /// looks for), else 1 when a finding reaches `--fail-on`.
    func exitForFindings(_ report: Report) throws {
        let broken = report.ruleSet?.skipped.filter(\.isError) ?? []
        if !broken.isEmpty {
            Terminal.error(
                "\(broken.count) rule(s) with an error did not run (each is listed above and in the report)")
            throw ExitCode(2)
        }
        if let threshold = failOn.severity, report.findings.contains(where: { $0.severity >= threshold }) {
            throw ExitCode(1)
        }
    }
}

/// The key of the secrets' digests (`audit`, `capture`, `events`).
struct DigestKeyOption: ParsableArguments {
    @Option(
        name: .customLong("digest-key"),
        help:
            "A key file (0600, yours) for the secrets' keyed digests, to compare reports across machines (default: $VIGIL_DIGEST_KEY, else this installation's key, made on first use)."
    )
    var digestKey: String?

    /// The organisation's key (`--digest-key`, `VIGIL_DIGEST_KEY`), else the installation's;
    /// a key for this run only, with a warning, when neither can be had.
    func digest(quiet: Bool) throws -> SecretDigest {
        let environment = ProcessInfo.processInfo.environment["VIGIL_DIGEST_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        if let path = digestKey ?? environment { return try SecretDigest.organisation(path: path) }
        do {
            return try SecretDigest.installation(folder: DataFolder.path)
        } catch {
            if !quiet {
                Terminal.warn(
                    "no digest key could be kept (\(error)): the secrets' digests hold for this report only")
            }
            return .ephemeral()
        }
    }
}

/// Writing a command's main output (a device list, a certificate page, a checklist): to
/// standard output, or to a file created 0600, never through a link, replaced atomically.
enum Output {
    static func write(_ text: String, to path: String?) throws {
        guard let path else {
            FileHandleWriter.standardOutput.write(text)
            return
        }
        try FileOutput.write(Array(text.utf8), to: path, permissions: 0o600, existing: .replace)
    }
}
