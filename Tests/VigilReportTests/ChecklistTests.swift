import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilReport

@Suite("Checklist planning")
struct ChecklistPlanTests {
    static let items: [String: ChecklistTemplateItem] = [
        "declare.open": ChecklistTemplateItem(
            id: "declare.open", phase: .declare, text: "Open an incident record.", role: "manager", dependsOn: [],
            evidence: nil),
        "contain.rotate": ChecklistTemplateItem(
            id: "contain.rotate", phase: .contain,
            text: "Rotate the {protocol} credentials of {account} on {server} ({title}; {evidence}).",
            role: "owner", dependsOn: ["declare.open"], evidence: "the ticket"),
        "lessons.review": ChecklistTemplateItem(
            id: "lessons.review", phase: .lessons, text: "Review.", role: "manager", dependsOn: ["declare.open"],
            evidence: nil),
    ]

    @Test func findingsFillPlaceholdersOnceEachAndDependenciesComeFirst() {
        let ftp = ReportedFinding(
            title: "FTP login in clear text", rule: "r1", ip: "10.0.0.5", user: "alice", protocolName: "ftp",
            server: "10.0.0.9:21", evidence: "office.pcapng packet 71", checklist: ["lessons.review", "contain.rotate"])
        var weak = ftp
        weak.title = "Weak password in use"
        let other = ReportedFinding(
            title: "FTP login in clear text", rule: "r1", ip: "10.0.0.6", user: "bob", protocolName: "ftp",
            server: "10.0.0.9:21", evidence: "office.pcapng packet 99", checklist: ["contain.rotate", "unknown.item"])
        let (plan, unknown) = ChecklistBuilder.plan(findings: [ftp, weak, other], items: Self.items)
        #expect(unknown == ["unknown.item"])
        #expect(plan.map(\.itemID) == ["declare.open", "contain.rotate", "contain.rotate", "lessons.review"])
        #expect(
            plan[1].text
                == "Rotate the ftp credentials of the account 'alice' on 10.0.0.9:21 (FTP login in clear text; office.pcapng packet 71)."
        )
        #expect(plan[2].text.contains("the account 'bob'"))
        #expect(plan[1].dependsOn == [0])
        #expect(plan[3].dependsOn == [0])
    }

    @Test func templatesWithoutFindingsUseGeneralWords() {
        let template = ChecklistTemplate(
            id: "t", title: "Credential exposure", description: nil, items: [Self.items["contain.rotate"]!])
        let plan = ChecklistBuilder.plan(template: template, items: Self.items)
        #expect(plan.map(\.itemID) == ["declare.open", "contain.rotate"])
        #expect(
            plan[1].text
                == "Rotate the credentials of the accounts involved on the server (the incident; the evidence).")
    }

    @Test func reportJSONIsRead() throws {
        let json = """
            {"findings": [{"title": "T", "rule": "r", "subject": {"ip": "10.0.0.5", "user": ""},
              "credential": {"protocol": "snmp", "username": "", "server": "10.0.0.30:161"},
              "evidence": [{"source": "a.pcap", "locator": "packet 3"}], "checklist": ["contain.rotate"]}]}
            """
        let findings = try ChecklistBuilder.findings(reportJSON: Array(json.utf8), path: "r.json")
        #expect(findings.first?.user == nil)
        #expect(findings.first?.evidence == "a.pcap packet 3")
        #expect(throws: VigilError.self) { try ChecklistBuilder.findings(reportJSON: Array("[]".utf8), path: "x.json") }
    }
}
