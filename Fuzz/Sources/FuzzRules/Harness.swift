import FuzzSupport
import VigilCore

@testable import VigilRules

/// A rule file (YAML, one or more documents: Sigma rules and correlations with Vigil's keys)
/// through the loader, the detection compiler and condition parser, then an engine built from
/// what loaded runs a few events of every source.
enum Harness {
    static let events: [Event] = {
        var list: [Event] = []
        let kinds: [EventKind] = [.authFailure, .authSuccess, .credentialObserved, .protocolObserved, .privilegeUse]
        for (index, kind) in kinds.enumerated() {
            for repeat_ in 0..<3 {
                var event = Event(
                    kind: kind, time: Timestamp(seconds: 1_700_000_000 + Int64(index * 10 + repeat_)),
                    source: SourceLocation(path: "auth.log", position: .line(index * 3 + repeat_ + 1)))
                event.set(.srcIP, "10.0.0.\(repeat_ + 1)")
                event.set(.userName, repeat_ == 0 ? "root" : "admin")
                event.set(.srcPort, 22)
                event.set(.logMessage, "Failed password for root from 10.0.0.1 port 22 ssh2")
                list.append(event)
            }
        }
        return list
    }()

    static func run(_ input: FuzzBytes) {
        let text = String(decoding: input.bytes, as: UTF8.self)
        guard let loaded = try? RuleLoader.load(yaml: text, file: "fuzz.yml") else { return }
        // As the rule set does: correlations that name a rule not loaded are refused.
        var set = RuleSet(rules: loaded.rules, correlations: loaded.correlations)
        set.dropUnresolvedCorrelations()
        let engine = RuleEngine(rules: set.rules, correlations: set.correlations)
        for event in events { engine.process(event) }
        _ = try? engine.findings()
    }
}
