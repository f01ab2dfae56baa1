internal import VigilCore

/// A program whose log lines Vigil reads: the names it claims, what it remembers between lines,
/// and the parser. Adding one is a file under `Services/` and a line in ``LogServices/all``.
protocol LogService: Sendable {
    /// What the service remembers between lines of one log (sshd: each connection's address).
    associatedtype State = Void

    /// Program names (syslog tags, journald identifiers, without process id or `/sub-name`)
    /// whose lines this service reads.
    static var programs: [String] { get }
    /// Program name prefixes it claims too (`postfix` for `postfix-submission`).
    static var programPrefixes: [String] { get }
    /// Headers only this service writes (an access log), with the service name their events
    /// carry: their lines come here whatever the program.
    static var formats: [LogLine.Format: String] { get }
    /// Whether a line of this program that made no event may still be a PAM line (most
    /// programs log through PAM; sshd weighs its own PAM lines).
    static var pamMayFollow: Bool { get }

    /// A fresh state, for one log.
    static func makeState() -> State
    /// Appends the events `line` holds.
    static func read(_ line: LogLine, context: LineContext, state: inout State, into events: inout [Event])
}

extension LogService {
    static var programPrefixes: [String] { [] }
    static var formats: [LogLine.Format: String] { [:] }
    static var pamMayFollow: Bool { true }

    /// A reader of this service for one log, holding its state.
    static func makeReader() -> any LogServiceReader { ServiceReader<Self>() }
}

/// A service that remembers nothing between lines.
protocol StatelessLogService: LogService where State == Void {
    /// Appends the events `line` holds.
    static func read(_ line: LogLine, context: LineContext, into events: inout [Event])
}

extension StatelessLogService {
    static func makeState() {}

    static func read(_ line: LogLine, context: LineContext, state: inout Void, into events: inout [Event]) {
        read(line, context: context, into: &events)
    }
}

/// One service's reader for one log (its state boxed), as the analyzer keeps them.
protocol LogServiceReader: AnyObject {
    var pamMayFollow: Bool { get }
    func read(_ line: LogLine, context: LineContext, into events: inout [Event])
}

private final class ServiceReader<Service: LogService>: LogServiceReader {
    private var state = Service.makeState()
    var pamMayFollow: Bool { Service.pamMayFollow }

    func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        Service.read(line, context: context, state: &state, into: &events)
    }
}

/// Every log service, and how a line finds its own.
enum LogServices {
    /// The services Vigil reads. PAM, which any program may log through, is not listed: it reads
    /// what the others leave (``fallback``).
    static let all: [any LogService.Type] = [
        SSHD.self, Dropbear.self, Sudo.self, Su.self, Login.self, Accounts.self, Vsftpd.self, ProFTPD.self,
        Dovecot.self, Courier.self, Sendmail.self, Postfix.self, XRDP.self, WebServer.self, AuditLog.self,
    ]

    /// The reader of lines no service made an event of.
    static let fallback: any LogService.Type = PAM.self

    /// The service of each program name, by its index in ``all``.
    static let byProgram: [String: Int] = {
        var table: [String: Int] = [:]
        for (index, service) in all.enumerated() {
            for program in service.programs { table[program] = index }
        }
        return table
    }()

    /// The service of each header only one service writes, with the service name of its events.
    static let byFormat: [LogLine.Format: (index: Int, service: String)] = {
        var table: [LogLine.Format: (Int, String)] = [:]
        for (index, service) in all.enumerated() {
            for (format, name) in service.formats { table[format] = (index, name) }
        }
        return table
    }()

    /// The service of `program`: by name, else by prefix.
    static func index(ofProgram program: String) -> Int? {
        if let index = byProgram[program] { return index }
        return all.firstIndex { $0.programPrefixes.contains { program.hasPrefix($0) } }
    }
}
