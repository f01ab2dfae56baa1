internal import Foundation

/// Threads that share out a numbered list of tasks: each thread takes the next task not taken
/// until none is left. The one way Vigil spreads work over the cores (rule files parsed, logs
/// read, log series merged, the rule set loaded while the first packets are read).
public final class WorkerPool: Sendable {
    private let done: DispatchGroup

    private init(done: DispatchGroup) { self.done = done }

    /// Starts `workers` threads (at least one, at most `count`) running `task` for each of
    /// `0..<count`, each number once; returns at once. Threads are named `name-N` (in `ps`,
    /// `top -H` and crash reports).
    @discardableResult
    public static func start(
        _ count: Int, workers: Int, name: String, _ task: @escaping @Sendable (Int) -> Void
    ) -> WorkerPool {
        let done = DispatchGroup()
        let next = Locked(0)
        for number in 0..<max(1, min(workers, count)) {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                while true {
                    let taken = next.withLock { next -> Int? in
                        guard next < count else { return nil }
                        defer { next += 1 }
                        return next
                    }
                    guard let index = taken else { return }
                    task(index)
                }
            }
            thread.name = "\(name)-\(number)"
            thread.start()
        }
        return WorkerPool(done: done)
    }

    /// Runs `task` for each of `0..<count` on `workers` threads; returns when all are done.
    public static func run(_ count: Int, workers: Int, name: String, _ task: @escaping @Sendable (Int) -> Void) {
        start(count, workers: workers, name: name, task).wait()
    }

    /// The processors this machine has.
    public static var processors: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Waits until every task has run.
    public func wait() { done.wait() }
}

/// A value computed once: given, or computed on a thread of its own from the moment it is
/// made; ``value()`` waits for it (the rule set loads while the first packets are read).
public final class PendingValue<Value: Sendable>: Sendable {
    private let result: Locked<Result<Value, any Error>?>
    private let worker: WorkerPool?

    /// A value already there.
    public init(value: Value) {
        result = Locked(.success(value))
        worker = nil
    }

    /// A value `compute` makes on a thread named `name`.
    public init(name: String, computing compute: @escaping @Sendable () throws -> Value) {
        let result = Locked<Result<Value, any Error>?>(nil)
        self.result = result
        worker = WorkerPool.start(1, workers: 1, name: name) { _ in
            let outcome = Result { try compute() }
            result.withLock { $0 = outcome }
        }
    }

    /// The value, or the error computing it threw.
    public func value() throws -> Value {
        worker?.wait()
        return try result.withLock { $0! }.get()
    }
}
