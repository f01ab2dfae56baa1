internal import Foundation
public import VigilCapture
public import VigilCore
public import VigilLogs
public import VigilReport
public import VigilRules

/// One `vigil audit` run: reads every input, runs the rules, and assembles the report.
///
/// Problems with one input do not stop the others: what could be read is reported, and the
/// problems come back in ``Result/errors`` for the caller to print and to set the exit code.
public struct Audit: Sendable {
    private let rules: PendingValue<RuleSet>
    public var revealSecrets: Bool
    public var limits: CaptureLimits
    public var logOptions: LogOptions
    /// The asset inventory devices are matched against (`--inventory`).
    public var inventory: Inventory?
    /// The tz database zone working hours are counted in; `nil` is the machine's.
    public var timeZone: String?
    /// The key secrets' digests (and credential findings' identifiers) are made with.
    public var digest: SecretDigest = .ephemeral()
    /// Called as inputs are done, for a progress display, on the thread that runs the audit.
    public var progress: (@Sendable (Progress) -> Void)?
    /// Threads running the rules (``RuleWorkers``; `--threads`); `nil`: the processors the
    /// log readers leave (one per log series), 1 to 8.
    public var ruleThreads: Int?

    /// Where an audit stands.
    public struct Progress: Sendable {
        /// The input just done.
        public var input: InputReport
        public var filesDone: Int
        public var files: Int
        public var bytesDone: Int64
        public var bytes: Int64
        /// Findings so far.
        public var findings: Int
    }

    /// An audit with `rules` already loaded.
    public init(
        rules: RuleSet, revealSecrets: Bool, limits: CaptureLimits = CaptureLimits(),
        logOptions: LogOptions = LogOptions()
    ) {
        self.rules = PendingValue(value: rules)
        self.revealSecrets = revealSecrets
        self.limits = limits
        self.logOptions = logOptions
    }

    /// An audit whose rules `load` reads on a thread of its own, while the inputs are opened
    /// and their first packets read; the rules are waited for when the first event needs them.
    public init(
        loadingRules load: @escaping @Sendable () throws -> RuleSet, revealSecrets: Bool,
        limits: CaptureLimits = CaptureLimits(), logOptions: LogOptions = LogOptions()
    ) {
        self.rules = PendingValue(name: "vigil-rules", computing: load)
        self.revealSecrets = revealSecrets
        self.limits = limits
        self.logOptions = logOptions
    }

    /// What a run produced.
    public struct Result: Sendable {
        public var report: Report
        /// Inputs that could not be read, or only in part: each makes the audit exit 2.
        public var errors: [VigilError]
    }

    /// Reads every input `paths` name, runs the rules, and assembles the report: every path is in
    /// its `inputs`, read or not, with why.
    public func run(_ paths: [String]) throws -> Result {
        let entries = InputCollector().collect(paths)
        var reports = entries.map(\.report)
        var errors = entries.compactMap { if case .unreadable(let error) = $0.status { error } else { nil } }
        // Inventories found among the inputs join the one given with --inventory.
        var inventory = self.inventory
        var files: [(index: Int, file: InputFile)] = []
        for (index, entry) in entries.enumerated() {
            guard case .read(let file) = entry.status else { continue }
            guard file.kind == .inventory else {
                files.append((index, file))
                continue
            }
            do {
                let found = try Inventory(path: file.path)
                if inventory == nil { inventory = found } else { inventory?.add(found) }
                reports[index] = InputReport(path: file.path, kind: "inventory")
            } catch {
                reports[index] = InputReport(
                    path: file.path, status: .unreadable, reason: Self.reason(error), kind: "inventory")
                errors.append(error)
            }
        }
        var started: RuleEngine?
        func engine() throws -> RuleEngine {
            if let started { return started }
            let set = try rules.value()
            let engine = RuleEngine(rules: set.rules, correlations: set.correlations)
            started = engine
            return engine
        }
        let devices = DeviceTracker()
        let context = EventContext(inventory: inventory, timeZone: timeZone)
        let logs = files.filter { $0.file.kind == .log }
        let logOptions = self.logOptions
        var parallel: [Int: LogResult] = [:]
        // Without correlations, several logs are read each into its own engine on all cores and
        // merged in file order at the end (deterministic).
        if logs.count > 1, try rules.value().correlations.isEmpty {
            parallel = Self.readLogs(
                logs, rules: try rules.value().rules, options: logOptions,
                workers: WorkerPool.processors, inventory: inventory, timeZone: timeZone)
        }
        // Otherwise the logs are read together, each series (a log and its rotated siblings)
        // on a thread of its own, their events merged in time order into the one engine:
        // correlations see several servers' logs interleaved as they happened, and the rules
        // run while the next lines are parsed, on the threads the readers leave, each taking its
        // share of the events (by correlation group) with the findings of one engine.
        let series = LogMerger.series(logs)
        let threads =
            ruleThreads
            ?? (logs.isEmpty ? 1 : max(1, min(8, WorkerPool.processors - min(series.count, LogMerger.maxSeries))))
        var workers: RuleWorkers?
        // The threads end whatever happens (an input's handler throwing included).
        defer { _ = workers?.finish() }
        func pool() throws -> RuleWorkers? {
            guard threads > 1, parallel.isEmpty else { return nil }
            if let workers { return workers }
            let set = try rules.value()
            let made = RuleWorkers(
                rules: set.rules, correlations: set.correlations, workers: threads, inventory: inventory,
                timeZone: timeZone)
            workers = made
            return made
        }
        var merged: [Int: LogMerger.FileResult]?
        let totalBytes = files.reduce(Int64(0)) { $0 + ($1.file.size ?? 0) }
        var bytesDone: Int64 = 0
        var filesDone = 0
        func done(_ index: Int, _ input: InputReport?, _ error: VigilError?) {
            reports[index] = Self.outcome(files.first { $0.index == index }!.file, input, error)
            if let error { errors.append(error) }
            filesDone += 1
            bytesDone += files.first { $0.index == index }?.file.size ?? 0
            guard let progress, let report = reports[index] else { return }
            progress(
                Progress(
                    input: report, filesDone: filesDone, files: files.count, bytesDone: bytesDone,
                    bytes: totalBytes, findings: started?.findingCount ?? workers?.findingCount ?? 0))
        }
        for (index, file) in files {
            if let result = parallel[index] {
                done(index, result.input, result.error)
                try engine().merge(result.engine)
                continue
            }
            if file.kind == .log {
                if merged == nil, let workers = try pool() {
                    merged = try LogMerger.read(series, options: logOptions) { workers.submit($0) }
                } else if merged == nil {
                    let engine = try engine()
                    merged = try LogMerger.read(series, options: logOptions) { event in
                        context.enriched(event) { engine.process($0) }
                    }
                }
                let result = merged?[index]
                done(index, result?.input, result?.error)
                continue
            }
            do {
                let (input, error) = try Self.read(file, limits: limits, logOptions: logOptions) { event in
                    if let workers = try pool() {
                        workers.process(event)
                        context.enriched(event) { devices.process($0) }
                        return
                    }
                    let engine = try engine()
                    context.enriched(event) { event in
                        engine.process(event)
                        devices.process(event)
                    }
                }
                done(index, input, error)
            } catch let error as VigilError {
                done(index, nil, error)
            }
        }
        if let workers { started = workers.finish() }
        var inputs = reports.map { $0! }
        // Events too far behind the newest to be correlated are said on their input.
        for (path, late) in try engine().lateEvents {
            guard let index = inputs.firstIndex(where: { $0.path == path }) else { continue }
            inputs[index].warnings.append(
                "\(late.count) event(s) more than 15 minutes older than the newest seen were not correlated "
                    + "(the first at \(late.first.locator)): the input is not in time order")
        }
        var report = Report(
            toolVersion: VigilVersion.current, generatedAt: Timestamp.now().wholeSeconds, inputs: inputs,
            findings: try engine().findings(digest: digest) { wanted in
                Self.summaries(of: wanted, files: files.map(\.file), logOptions: logOptions)
            },
            devices: Self.matched(devices.list(), inventory), revealSecrets: revealSecrets)
        report.rules = Self.descriptors(try rules.value())
        report.ruleSet = Self.identity(try rules.value())
        // Correlations that had to let live groups go are said too: their findings may be short.
        for (correlation, groups) in try engine().droppedGroups {
            report.ruleSet?.warnings.append(
                "correlation \(correlation) let \(groups) group(s) go before their time had passed (more sources at "
                    + "once than it holds: 32,768 groups, 1,048,576 events); findings of theirs may be missed")
        }
        if let set = report.ruleSet, set.rules == 0 && set.correlations == 0 {
            report.ruleSet?.warnings.append(
                "no rule ran: every rule named was skipped, so no input was examined and no finding could be made")
        }
        report.digest = digest
        return Result(report: report, errors: errors)
    }

    /// The summaries of evidence kept by reference, from the lines read again.
    static func summaries(
        of references: Set<EvidenceReference>, files: [InputFile], logOptions: LogOptions
    ) -> [EvidenceReference: String] {
        var summaries: [EvidenceReference: String] = [:]
        let byInput = Dictionary(grouping: references, by: \.source.input)
        for (input, wanted) in byInput {
            guard let file = files.first(where: { $0.displayPath == input.path && $0.kind == .log }) else { continue }
            let events = LogReader(options: logOptions).reread(
                origin: file.origin, displayPath: file.displayPath, offsets: wanted.map(\.source.offset))
            for reference in wanted {
                guard let event = events[reference.source.offset]?.first(where: { $0.kind == reference.kind }),
                    event.text?.withBytes(EvidenceReference.digest) == reference.lineDigest
                else {
                    // Never another line's summary: the log changed since it was read.
                    summaries[reference] = "\(reference.kind) (the line is no longer there: the log changed since)"
                    continue
                }
                summaries[reference] = RuleEngine.summary(of: event)
            }
        }
        return summaries
    }

    /// An input's report from what its reader returned: read, read in part (an error after some
    /// of it), or not readable (an error before any of it).
    static func outcome(_ file: InputFile, _ input: InputReport?, _ error: VigilError?) -> InputReport {
        guard var input else {
            return InputReport(
                path: file.displayPath, status: .unreadable,
                reason: error.map(reason) ?? "it could not be read", kind: file.kind.rawValue)
        }
        if let note = file.note { input.warnings.insert(note, at: 0) }
        if let error {
            input.status = .partial
            input.reason = reason(error)
        }
        return input
    }

    /// An error's text without its path (the report names the input already).
    static func reason(_ error: VigilError) -> String {
        var parts: [String] = []
        if let position = error.position { parts.append(position.description) }
        parts.append(error.reason)
        return parts.joined(separator: ": ") + (error.hint.map { " (\($0))" } ?? "")
    }

    /// `given` with the inventories at `paths` added; one that does not read is an error in `errors`.
    static func inventory(_ given: Inventory?, adding paths: [String], errors: inout [VigilError]) -> Inventory? {
        var inventory = given
        for path in paths {
            do {
                let found = try Inventory(path: path)
                if inventory == nil { inventory = found } else { inventory?.add(found) }
            } catch {
                errors.append(error)
            }
        }
        return inventory
    }

    /// `devices` with `managed` and `assetTag` from the inventory, when there is one.
    static func matched(_ devices: [Device], _ inventory: Inventory?) -> [Device] {
        guard let inventory else { return devices }
        return devices.map { device in
            var device = device
            let asset = inventory.asset(mac: device.mac, hostnames: device.hostnames, ips: device.ips)
            device.managed = asset != nil
            device.assetTag = asset?.tag
            device.assetStatus = asset?.status
            return device
        }
    }

    /// One log read on a worker: its report entry, its error, and the engine that saw its events.
    struct LogResult: @unchecked Sendable {
        var input: InputReport?
        var error: VigilError?
        var engine: RuleEngine
    }

    /// Reads `files` (logs) on `workers` threads, each file into an engine of its own.
    static func readLogs(
        _ files: [(index: Int, file: InputFile)], rules: [Rule], options: LogOptions, workers: Int,
        inventory: Inventory? = nil, timeZone: String? = nil
    ) -> [Int: LogResult] {
        let results = Locked<[Int: LogResult]>([:])
        WorkerPool.run(files.count, workers: workers, name: "vigil-logs") { taken in
            let (index, file) = files[taken]
            let engine = RuleEngine(rules: rules)
            let context = EventContext(inventory: inventory, timeZone: timeZone)
            var result = LogResult(engine: engine)
            do {
                let outcome = try LogReader(options: options).read(origin: file.origin, displayPath: file.displayPath) {
                    event in
                    context.enriched(event) { engine.process($0) }
                }
                result.input = outcome.input
                result.error = outcome.error
            } catch let error as VigilError {
                result.error = error
            } catch {
                result.error = VigilError(.unreadable, path: file.displayPath, reason: "\(error)")
            }
            results.withLock { $0[index] = result }
        }
        return results.withLock { $0 }
    }

    /// Reads one input with the reader of its kind.
    static func read(
        _ file: InputFile, limits: CaptureLimits, logOptions: LogOptions, handler: (Event) throws -> Void
    ) throws -> (InputReport, VigilError?) {
        switch file.kind {
        case .pcap, .pcapng:
            let outcome = try CaptureReader(limits: limits).read(
                origin: file.origin, format: file.kind == .pcap ? .pcap : .pcapng, displayPath: file.displayPath,
                handler: handler)
            return (outcome.input, outcome.error)
        case .log:
            let outcome = try LogReader(options: logOptions).read(
                origin: file.origin, displayPath: file.displayPath, handler: handler)
            return (outcome.input, outcome.error)
        case .inventory:
            return (InputReport(path: file.path, kind: "inventory"), nil)
        }
    }

    /// Every device seen in `paths`, matched against `inventory` and any inventory CSV among
    /// the paths, for `vigil devices`. No rules run.
    public static func devices(
        _ paths: [String], inventory: Inventory?, limits: CaptureLimits = CaptureLimits(),
        logOptions: LogOptions = LogOptions()
    ) throws -> (devices: [Device], hasInventory: Bool, inputs: [InputReport], errors: [VigilError]) {
        var inventory = inventory
        let tracker = DeviceTracker()
        let (inputs, errors) = try readEach(paths, limits: limits, logOptions: logOptions, inventory: &inventory) {
            tracker.process($0)
        }
        return (matched(tracker.list(), inventory), inventory != nil, inputs, errors)
    }

    /// Streams the events of every input to `handler`, for `vigil events`.
    public static func events(
        _ paths: [String], limits: CaptureLimits = CaptureLimits(), logOptions: LogOptions = LogOptions(),
        handler: (Event) throws -> Void
    ) throws -> (inputs: [InputReport], errors: [VigilError]) {
        var inventory: Inventory?
        return try readEach(paths, limits: limits, logOptions: logOptions, inventory: &inventory, handler: handler)
    }

    /// Every input of `paths` read one after the other into `handler` (inventories into
    /// `inventory`): their reports, in order, and the errors of those not read whole.
    private static func readEach(
        _ paths: [String], limits: CaptureLimits, logOptions: LogOptions, inventory: inout Inventory?,
        handler: (Event) throws -> Void
    ) throws -> (inputs: [InputReport], errors: [VigilError]) {
        var inputs: [InputReport] = []
        var errors: [VigilError] = []
        for entry in InputCollector().collect(paths) {
            guard case .read(let file) = entry.status else {
                inputs.append(entry.report!)
                if case .unreadable(let error) = entry.status { errors.append(error) }
                continue
            }
            if file.kind == .inventory {
                do {
                    let found = try Inventory(path: file.path)
                    if inventory == nil { inventory = found } else { inventory?.add(found) }
                    inputs.append(InputReport(path: file.path, kind: "inventory"))
                } catch {
                    inputs.append(
                        InputReport(path: file.path, status: .unreadable, reason: reason(error), kind: "inventory"))
                    errors.append(error)
                }
                continue
            }
            if file.kind == .log {
                // Read and parsed on a thread of its own while `handler` runs on this one.
                let result = try LogMerger.read([[(index: 0, file: file)]], options: logOptions, handler: handler)[0]
                inputs.append(outcome(file, result?.input, result?.error))
                if let error = result?.error { errors.append(error) }
                continue
            }
            do {
                let (input, error) = try read(file, limits: limits, logOptions: logOptions, handler: handler)
                inputs.append(outcome(file, input, error))
                if let error { errors.append(error) }
            } catch let error as VigilError {
                inputs.append(outcome(file, nil, error))
                errors.append(error)
            }
        }
        return (inputs, errors)
    }
}
