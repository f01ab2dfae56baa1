import ArgumentParser
import Synchronization
import VigilAudit
import VigilCapture
import VigilCore
import VigilReport

#if canImport(Glibc)
    import Glibc
#endif

/// Set by SIGINT and SIGTERM: the capture ends its sample cleanly with what it has seen.
let captureInterrupted = Atomic<Bool>(false)

/// `vigil capture --interface IF …`
struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Sample a live interface, analyse what it carries, and report as an audit does.",
        discussion: "Needs CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous mode). Ctrl-C ends the sample cleanly.")

    @Option(name: .long, help: "The interface to capture on (see 'ip link').")
    var interface: String

    @Option(name: .long, help: "A BPF filter, as tcpdump takes it ('tcp port 21').")
    var filter: String?

    @Option(name: .long, help: "Seconds per sample (default: until --count or Ctrl-C).")
    var duration: Double?

    @Option(name: .long, help: "Packets per sample.")
    var count: Int?

    @Option(name: .long, help: "Bytes kept of each packet.")
    var snaplen: Int = 262_144

    @Option(name: .long, help: "Write the sampled packets to this pcapng file.")
    var write: String?

    @Option(name: .long, help: "Seconds from one sample's start to the next's (with --samples).")
    var every: Double?

    @Option(name: .long, help: "How many samples to take.")
    var samples: Int = 1

    @Option(
        name: .long,
        help: "When started as root: the user to run as once the interface is open (packets are parsed unprivileged).")
    var user = "nobody"

    @Flag(name: .customLong("no-promiscuous"), help: "Do not put the interface in promiscuous mode.")
    var noPromiscuous = false

    @OptionGroup var report: ReportOptions

    func validate() throws {
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1") }
        if samples > 1 && every == nil { throw ValidationError("--samples needs --every SECONDS") }
        if samples > 1 && duration == nil && count == nil {
            throw ValidationError("several samples need --duration or --count to end each")
        }
        if let every, let duration, every < duration { throw ValidationError("--every must be at least --duration") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
    }

    func run() throws {
        let ruleSet = try report.loadRules()
        // A parent may have started us with these signals blocked (test runners do): unblock them.
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        sigaddset(&mask, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &mask, nil)
        signal(SIGINT) { _ in captureInterrupted.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in captureInterrupted.store(true, ordering: .relaxed) }
        var audit = LiveAudit(
            options: LiveCaptureOptions(
                interface: interface, filter: filter, snaplen: snaplen, promiscuous: !noPromiscuous, writePath: write),
            rules: ruleSet, revealSecrets: report.revealSecrets, duration: duration, count: count, samples: samples,
            every: every)
        audit.digest = try report.secrets.digest(quiet: report.quiet)
        var destination = try report.destination()
        let result = try audit.run(
            started: { linkType in
                if Privileges.isRoot {
                    // The report is written after the drop: open its files while still root.
                    try destination.openAhead()
                    if let dropped = try Privileges.drop(to: user), !report.quiet {
                        Terminal.note("capture on \(interface) is open; \(dropped)")
                    }
                }
                guard !report.quiet else { return }
                let what = filter.map { " (filter '\($0)')" } ?? ""
                Terminal.note("listening on \(interface)\(what), link type \(linkType); Ctrl-C to stop")
            },
            shouldStop: { captureInterrupted.load(ordering: .relaxed) })
        try report.write(result, to: &destination)
        try report.exitForFindings(result)
    }
}
