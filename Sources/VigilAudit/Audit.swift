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
    private let rules: Pending<RuleSet>
    public var revealSecrets: Bool
    public var limits: CaptureLimits
    public var logOptions: LogOptions
    /// The asset inventory devices are matched against (`--inventory`).
    public var inventory: Inventory?
    /// The tz database zone working hours are counted in; `nil` is the machine's.
    public var timeZone: String?
    /// Called as inputs are done, for a progress display, on the thread that runs the audit.
    public var progress: (@Sendable (Progress) -> Void)?

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

    public init(
        rules: RuleSet, revealSecrets: Bool, limits: CaptureLimits = CaptureLimits(),
        logOptions: LogOptions = LogOptions()
    ) {
        self.rules = Pending(value: rules)
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
        self.rules = Pending(computing: load)
        self.revealSecrets = revealSecrets
        self.limits = limits
        self.logOptions = logOptions
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
        // Inventories found among the inputs join the one given with --inventory.
        let inventory = Self.inventory(self.inventory, adding: collected.inventories, errors: &errors)
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
        let logIndices = collected.files.indices.filter { collected.files[$0].kind == .log }
        var logOptions = self.logOptions
        if !logIndices.isEmpty, try rules.value().rules.contains(where: \.usesKeywords) {
            logOptions.keepMessages = true
        }
        var parallel: [Int: LogResult] = [:]
        // Without correlations, several logs are read each into its own engine on all cores and
        // merged in file order at the end (deterministic).
        if logIndices.count > 1, try rules.value().correlations.isEmpty {
            let ruleList = try rules.value().rules
            parallel = Self.readLogs(
                logIndices.map { (index: $0, path: collected.files[$0].path) }, rules: ruleList,
                options: logOptions, workers: ProcessInfo.processInfo.activeProcessorCount, inventory: inventory,
                timeZone: timeZone)
        }
        // Otherwise the logs are read together, each series (a log and its rotated siblings)
        // on a thread of its own, their events merged in time order into the one engine:
        // correlations see several servers' logs interleaved as they happened, and the rules
        // run while the next lines are parsed.
        var merged: [Int: LogMerger.FileResult]?
        let total = collected.files.count
        let sizes = collected.files.map { file -> Int64 in
            ((try? FileManager.default.attributesOfItem(atPath: file.path)[.size]) as? NSNumber)?.int64Value ?? 0
        }
        let totalBytes = sizes.reduce(0, +)
        var bytesDone: Int64 = 0
        func done(_ input: InputReport) {
            inputs.append(input)
            if let index = collected.files.firstIndex(where: {
                $0.path == input.path || input.path == "(standard input)" && $0.path == "-"
            }) {
                bytesDone += sizes[index]
            }
            guard let progress else { return }
            progress(
                Progress(
                    input: input, filesDone: inputs.count, files: total, bytesDone: bytesDone, bytes: totalBytes,
                    findings: started?.findingCount ?? 0))
        }
        for (index, file) in collected.files.enumerated() {
            if let result = parallel[index] {
                if let input = result.input { done(input) }
                if let error = result.error { errors.append(error) }
                try engine().merge(result.engine)
                continue
            }
            if file.kind == .log {
                if merged == nil {
                    let logs = logIndices.map { (index: $0, path: collected.files[$0].path) }
                    merged = try LogMerger.read(LogMerger.series(logs), options: logOptions) { event in
                        var event = event
                        context.enrich(&event)
                        try engine().process(event)
                    }
                }
                if let result = merged?[index] {
                    if let input = result.input { done(input) }
                    if let error = result.error { errors.append(error) }
                }
                continue
            }
            do {
                let (input, error) = try Self.read(file, limits: limits, logOptions: logOptions) { event in
                    var event = event
                    context.enrich(&event)
                    try engine().process(event)
                    devices.process(event)
                }
                done(input)
                if let error { errors.append(error) }
            } catch let error as VigilError {
                errors.append(error)
            }
        }
        var report = Report(
            toolVersion: VigilVersion.current, generatedAt: Timestamp.now().wholeSeconds, inputs: inputs,
            findings: try engine().findings(),
            devices: Self.matched(devices.list(), inventory), revealSecrets: revealSecrets)
        report.rules = Self.descriptors(try rules.value())
        return Result(report: report, errors: errors, skipped: collected.skipped)
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

    /// The rules that ran, as reports describe them (silent base rules left out).
    public static func descriptors(_ set: RuleSet) -> [RuleDescriptor] {
        let referenced = Set(set.correlations.flatMap(\.rules))
        let rules = set.rules.filter { !(referenced.contains($0.id) || $0.sigmaID.map(referenced.contains) == true) }
            .map {
                RuleDescriptor(
                    id: $0.id, title: $0.title, description: $0.description, severity: $0.severity,
                    category: $0.category, remediation: $0.remediation, tags: $0.tags)
            }
        let correlations = set.correlations.filter { $0.severity != .info }.map {
            RuleDescriptor(
                id: $0.id, title: $0.title, description: nil, severity: $0.severity, category: $0.category,
                remediation: $0.remediation, tags: [])
        }
        return rules + correlations
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
        _ files: [(index: Int, path: String)], rules: [Rule], options: LogOptions, workers: Int,
        inventory: Inventory? = nil, timeZone: String? = nil
    ) -> [Int: LogResult] {
        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var next = 0
            var results: [Int: LogResult] = [:]
        }
        let shared = Shared()
        let group = DispatchGroup()
        for _ in 0..<max(1, min(workers, files.count)) {
            group.enter()
            Thread {
                while true {
                    let taken: (index: Int, path: String)? = shared.lock.withLock {
                        guard shared.next < files.count else { return nil }
                        defer { shared.next += 1 }
                        return files[shared.next]
                    }
                    guard let (index, path) = taken else { break }
                    let engine = RuleEngine(rules: rules)
                    let context = EventContext(inventory: inventory, timeZone: timeZone)
                    var result = LogResult(engine: engine)
                    do {
                        let outcome = try LogReader(options: options).read(
                            path: path, displayPath: path == "-" ? "(standard input)" : nil
                        ) { event in
                            var event = event
                            context.enrich(&event)
                            engine.process(event)
                        }
                        result.input = outcome.input
                        result.error = outcome.error
                    } catch let error as VigilError {
                        result.error = error
                    } catch {
                        result.error = VigilError(.unreadable, path: path, reason: "\(error)")
                    }
                    shared.lock.withLock { shared.results[index] = result }
                }
                group.leave()
            }.start()
        }
        group.wait()
        return shared.results
    }

    /// Reads one input with the reader of its kind.
    static func read(
        _ file: InputFile, limits: CaptureLimits, logOptions: LogOptions, handler: (Event) throws -> Void
    ) throws -> (InputReport, VigilError?) {
        switch file.kind {
        case .pcap, .pcapng:
            let outcome = try CaptureReader(limits: limits).read(path: file.path, handler: handler)
            return (outcome.input, outcome.error)
        case .log:
            let outcome = try LogReader(options: logOptions).read(
                path: file.path, displayPath: file.path == "-" ? "(standard input)" : nil, handler: handler)
            return (outcome.input, outcome.error)
        }
    }

    /// Every device seen in `paths`, matched against `inventory` and any inventory CSV among
    /// the paths, for `vigil devices`. No rules run.
    public static func devices(
        _ paths: [String], inventory: Inventory?, limits: CaptureLimits = CaptureLimits(),
        logOptions: LogOptions = LogOptions()
    ) throws -> (devices: [Device], hasInventory: Bool, inputs: [InputReport], errors: [VigilError]) {
        let collected = InputCollector().collect(paths)
        var errors = collected.errors
        let inventory = Self.inventory(inventory, adding: collected.inventories, errors: &errors)
        let tracker = DeviceTracker()
        var inputs: [InputReport] = []
        for file in collected.files {
            do {
                let (input, error) = try read(file, limits: limits, logOptions: logOptions) { tracker.process($0) }
                inputs.append(input)
                if let error { errors.append(error) }
            } catch let error as VigilError {
                errors.append(error)
            }
        }
        return (matched(tracker.list(), inventory), inventory != nil, inputs, errors)
    }

    /// Streams the events of every input to `handler`, for `vigil events`.
    public static func events(
        _ paths: [String], limits: CaptureLimits = CaptureLimits(), logOptions: LogOptions = LogOptions(),
        handler: (Event) throws -> Void
    ) throws -> (inputs: [InputReport], errors: [VigilError]) {
        let collected = InputCollector().collect(paths)
        var errors = collected.errors
        var inputs: [InputReport] = []
        for file in collected.files {
            do {
                let (input, error) = try read(file, limits: limits, logOptions: logOptions, handler: handler)
                inputs.append(input)
                if let error { errors.append(error) }
            } catch let error as VigilError {
                errors.append(error)
            }
        }
        return (inputs, errors)
    }
}

/// A value computed once, either given or computed on a thread of its own from the moment it
/// is made; ``value()`` waits for it.
final class Pending<Value: Sendable>: @unchecked Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error>?
    private var taken = false
    private let lock = NSLock()

    init(value: Value) {
        result = .success(value)
        taken = true
    }

    init(computing compute: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            let outcome = Result { try compute() }
            lock.withLock { result = outcome }
            ready.signal()
        }
        thread.name = "vigil-rules"
        thread.start()
    }

    /// The value, or the error computing it threw.
    func value() throws -> Value {
        let waited = lock.withLock { () -> Bool in
            defer { taken = true }
            return taken
        }
        if !waited { ready.wait() }
        return try lock.withLock { result! }.get()
    }
}
