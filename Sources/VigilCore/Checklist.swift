/// The phases of incident response, in order: NIST SP 800-61r3 with the CSF 2.0 Respond and
/// Recover functions.
public enum ResponsePhase: String, Sendable, CaseIterable, Comparable {
    /// Declare and triage.
    case declare
    case contain
    case eradicate
    case recover
    case communicate
    /// Lessons learned.
    case lessons

    public var title: String {
        switch self {
        case .declare: "Declare and triage"
        case .contain: "Contain"
        case .eradicate: "Eradicate"
        case .recover: "Recover"
        case .communicate: "Communicate"
        case .lessons: "Lessons learned"
        }
    }

    /// Phases in the order a response goes through them.
    public static func < (a: ResponsePhase, b: ResponsePhase) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One step of a checklist template: an id findings refer to (`contain.rotate-credential`), its
/// phase, the text with placeholders, who does it, what it depends on, what evidence to keep.
public struct ChecklistTemplateItem: Sendable, Equatable {
    public var id: String
    public var phase: ResponsePhase
    public var text: String
    public var role: String
    public var dependsOn: [String]
    public var evidence: String?

    /// An item of a template: its id, phase, text with placeholders, who does it, what it waits for, what to
    /// keep.
    public init(id: String, phase: ResponsePhase, text: String, role: String, dependsOn: [String], evidence: String?) {
        self.id = id
        self.phase = phase
        self.text = text
        self.role = role
        self.dependsOn = dependsOn
        self.evidence = evidence
    }
}

/// A breach-response checklist template (`rules/checklists/*.yml`).
public struct ChecklistTemplate: Sendable, Equatable {
    public var id: String
    public var title: String
    public var description: String?
    public var items: [ChecklistTemplateItem]

    /// A template: its id, title, description and items.
    public init(id: String, title: String, description: String?, items: [ChecklistTemplateItem]) {
        self.id = id
        self.title = title
        self.description = description
        self.items = items
    }
}

/// A step of a checklist made for one incident: the template item with its placeholders
/// filled, and the steps (by position) it waits for.
public struct PlannedChecklistItem: Sendable, Equatable {
    public var itemID: String
    public var phase: ResponsePhase
    public var text: String
    public var role: String
    public var evidence: String?
    /// Positions (0-based) of the items this one depends on.
    public var dependsOn: [Int]

    /// An item filled in for one finding's subject.
    public init(itemID: String, phase: ResponsePhase, text: String, role: String, evidence: String?, dependsOn: [Int]) {
        self.itemID = itemID
        self.phase = phase
        self.text = text
        self.role = role
        self.evidence = evidence
        self.dependsOn = dependsOn
    }
}
