public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A one-connection FTP-style server on 127.0.0.1 and its client, to make real traffic on the
/// loopback interface for live-capture tests. Everything stays on this machine.
public enum LoopbackFTP {
    /// Listens on an ephemeral port of 127.0.0.1; serves one login in a background thread
    /// (banner 220, 331 after USER, 230 after PASS). Returns the port.
    public static func serveOnce() throws -> UInt16 {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 1) == 0
                    && getsockname(listener, pointer, &length) == 0
            }
        }
        guard bound else {
            close(listener)
            throw POSIXError(.EADDRINUSE)
        }
        let port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread {
            let connection = accept(listener, nil, nil)
            close(listener)
            guard connection >= 0 else { return }
            defer { close(connection) }
            send(connection, "220 loopback FTP\r\n")
            for reply in ["331 Password required\r\n", "230 Logged in\r\n"] {
                guard receiveLine(connection) else { return }
                send(connection, reply)
            }
            _ = receiveLine(connection)
        }
        return port
    }

    /// Connects to `port` and logs in with `user` and `password`, reading each reply.
    public static func login(port: UInt16, user: String, password: String) throws {
        let connection = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard connection >= 0 else { throw POSIXError(.EIO) }
        defer { close(connection) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(connection, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { throw POSIXError(.ECONNREFUSED) }
        _ = receiveLine(connection)
        send(connection, "USER \(user)\r\n")
        _ = receiveLine(connection)
        send(connection, "PASS \(password)\r\n")
        _ = receiveLine(connection)
        send(connection, "QUIT\r\n")
    }

    private static func send(_ socket: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        _ = Glibc.send(socket, &bytes, bytes.count, Int32(MSG_NOSIGNAL))
    }

    /// Reads up to one reply (whatever one `recv` gives); `false` when the peer closed.
    private static func receiveLine(_ socket: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 512)
        return recv(socket, &buffer, buffer.count, 0) > 0
    }
}

/// A running `vigil` whose standard error can be waited on, for commands that run a while.
public final class RunningVigil: @unchecked Sendable {
    // @unchecked: `stderrText` is only touched under `lock`; the Process and pipes are used from
    // the creating thread except for the pipe's own reading handler.
    private let process = Process()
    private let out = Pipe()
    private let err = Pipe()
    private let lock = NSLock()
    private var stderrText = ""

    /// Starts `vigil arguments`, with `input` (when given) as its standard input. With
    /// `crashSignals`, through a launcher that unblocks the signals the test runner blocks, so
    /// that a signal sent to the process acts as a crash would.
    public init(_ arguments: [String], input: Pipe? = nil, crashSignals: Bool = false) throws {
        if crashSignals {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments =
                [
                    "-c",
                    "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); "
                        + "os.execv(sys.argv[1], sys.argv[1:])", VigilBinary.url.path,
                ] + arguments
        } else {
            process.executableURL = VigilBinary.url
            process.arguments = arguments
        }
        process.currentDirectoryURL = TestPaths.root
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input ?? FileHandle.nullDevice
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.stderrText += String(decoding: data, as: UTF8.self)
            self.lock.unlock()
        }
        try process.run()
    }

    /// Standard error so far.
    public var stderr: String {
        lock.lock()
        defer { lock.unlock() }
        return stderrText
    }

    /// Waits until standard error contains `text`, at most `seconds`; `true` if it did.
    public func waitForStderr(_ text: String, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if stderr.contains(text) { return true }
            if !process.isRunning { return stderr.contains(text) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    /// The process's ID.
    public var pid: Int32 { process.processIdentifier }

    /// Sends `signal` to the process.
    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the exit and returns everything it printed.
    public func finish() -> ProcessResult {
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        err.fileHandleForReading.readabilityHandler = nil
        let rest = err.fileHandleForReading.readDataToEndOfFile()
        lock.lock()
        stderrText += String(decoding: rest, as: UTF8.self)
        let errText = stderrText
        lock.unlock()
        return ProcessResult(
            status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self), stderr: errText)
    }
}
