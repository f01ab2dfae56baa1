public import VigilCapture
public import VigilCore
public import VigilReport
public import VigilRules

/// One `vigil audit` run: reads every input, runs the rules, and assembles the report.
///
/// Problems with one input do not stop the others: what could be read is reported, and the
/// problems come back in ``Result/errors`` for the caller to print and to set the exit code.
public struct Audit: Sendable {
    public var rules: RuleSet
    public var revealSecrets: Bool
    public var limits: CaptureLimits

    public init(rules: RuleSet, revealSecrets: Bool, limits: CaptureLimits = CaptureLimits()) {
        self.rules = rules
        self.revealSecrets = revealSecrets
        self.limits = limits
    }

    /// What a run produced.
    public struct Result: Sendable {
        public var report: Report
        public var errors: [VigilError]
        public var skipped: [String]
    }

    public func run(_ paths: [String]) throws -> Result {
        let collected = InputCollector().collect(paths)
        var errors = collected.errors
        var inputs: [InputReport] = []
        let engine = RuleEngine(rules: rules.rules)
        let devices = DeviceTracker()
        for file in collected.files {
            do {
                let outcome = try CaptureReader(limits: limits).read(path: file.path) { event in
                    engine.process(event)
                    devices.process(event)
                }
                inputs.append(outcome.input)
                if let error = outcome.error { errors.append(error) }
            } catch let error as VigilError {
                errors.append(error)
            }
        }
        let report = Report(
            toolVersion: VigilVersion.current, generatedAt: Timestamp.now().wholeSeconds, inputs: inputs,
            findings: try engine.findings(),
            devices: devices.list(), revealSecrets: revealSecrets)
        return Result(report: report, errors: errors, skipped: collected.skipped)
    }

    /// Streams the events of every input to `handler`, for `vigil events`.
    public static func events(
        _ paths: [String], limits: CaptureLimits = CaptureLimits(), handler: (Event) throws -> Void
    ) throws -> (inputs: [InputReport], errors: [VigilError]) {
        let collected = InputCollector().collect(paths)
        var errors = collected.errors
        var inputs: [InputReport] = []
        for file in collected.files {
            do {
                let outcome = try CaptureReader(limits: limits).read(path: file.path, handler: handler)
                inputs.append(outcome.input)
                if let error = outcome.error { errors.append(error) }
            } catch let error as VigilError {
                errors.append(error)
            }
        }
        return (inputs, errors)
    }
}
