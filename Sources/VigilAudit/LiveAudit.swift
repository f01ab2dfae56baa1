public import VigilCapture
public import VigilCore
public import VigilReport
public import VigilRules

/// One `vigil capture` run: samples an interface, analyses as it captures, and assembles the
/// same report an audit of a file gives, with each sample's counts.
public struct LiveAudit {
    public var options: LiveCaptureOptions
    public var rules: RuleSet
    public var revealSecrets: Bool
    /// Length of each sample, seconds; `nil` for no limit (then `count` or Ctrl-C ends it).
    public var duration: Double?
    /// Packets per sample; `nil` for no limit.
    public var count: Int?
    /// Samples to take, `every` seconds apart (start to start).
    public var samples: Int
    public var every: Double?
    /// The key secrets' digests are made with.
    public var digest: SecretDigest = .ephemeral()

    /// A live audit of `interface` with the rules of `ruleSet`, reported as `audit` reports.
    public init(
        options: LiveCaptureOptions, rules: RuleSet, revealSecrets: Bool, duration: Double?, count: Int?,
        samples: Int = 1, every: Double? = nil
    ) {
        self.options = options
        self.rules = rules
        self.revealSecrets = revealSecrets
        self.duration = duration
        self.count = count
        self.samples = samples
        self.every = every
    }

    /// Captures and analyses. `started` is called once the interface is open, before any
    /// packet is read (for a message, and to drop root); `shouldStop` is polled several times a
    /// second (for Ctrl-C).
    public func run(started: (Int32) throws -> Void, shouldStop: () -> Bool) throws -> Report {
        let capture = try LiveCapture(options)
        try started(capture.linkType)
        let engine = RuleEngine(rules: rules.rules, correlations: rules.correlations)
        let devices = DeviceTracker()
        let context = EventContext()
        let handler: (Event) -> Void = { event in
            context.enriched(event) { event in
                engine.process(event)
                devices.process(event)
            }
        }
        var taken: [CaptureSample] = []
        for index in 1...max(1, samples) {
            let start = Timestamp.now()
            taken.append(
                try capture.sample(
                    index: index, duration: duration, count: count, shouldStop: shouldStop, handler: handler))
            if shouldStop() || index == samples { break }
            if let every {
                capture.skip(
                    until: Timestamp(nanoseconds: start.nanoseconds + Int64(every * 1e9)), shouldStop: shouldStop)
            }
        }
        let input = capture.finish(samples: taken, handler: handler)
        var report = Report(
            toolVersion: VigilVersion.current, generatedAt: Timestamp.now().wholeSeconds, inputs: [input],
            findings: try engine.findings(digest: digest), devices: devices.list(), revealSecrets: revealSecrets)
        report.rules = Audit.descriptors(rules)
        report.ruleSet = Audit.identity(rules)
        report.digest = digest
        return report
    }
}
