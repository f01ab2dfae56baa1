import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilLogs

/// Long text fields read from a log line stay in the line's own bytes (``FieldValue/text``): no
/// copy, no `String` until something asks for one; they are the same values as strings.
@Suite("Field values as slices of the line")
struct FieldSliceTests {
    static let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    static let request =
        "203.0.113.9 - - [24/Nov/2025:10:00:00 +0000] \"GET /wp-login.php?redirect_to=%2Fwp-admin%2F HTTP/1.1\" 200 "
        + "512 \"https://example.org/start\" \"\(agent)\""

    @Test func longTextIsASliceOfTheLine() throws {
        let event = try #require(only(events(of: Self.request)[0]))
        guard case .text(let slice) = event[.httpUserAgent] else {
            Issue.record("the user agent should be a slice of the line: \(String(describing: event[.httpUserAgent]))")
            return
        }
        #expect(slice.string == Self.agent)
        // The very bytes of the line the event keeps, at the agent's place in it.
        let line = try #require(event.text)
        #expect(line.string.contains(Self.agent))
        let place = Self.request.utf8.count - Self.agent.utf8.count - 1
        let sliceStart: UnsafeRawPointer? = slice.withBytes { $0.baseAddress }
        let lineStart: UnsafeRawPointer? = line.withBytes { $0.baseAddress }
        #expect(sliceStart == lineStart.map { $0 + place })
        guard case .text = event[.urlOriginal] else {
            Issue.record("the request target should be a slice too")
            return
        }
        #expect(event[.urlOriginal]?.description == "/wp-login.php?redirect_to=%2Fwp-admin%2F")
        #expect(event[.urlQuery]?.description == "redirect_to=%2Fwp-admin%2F")
        // Short text costs nothing as a string (no allocation): it stays one.
        guard case .string = event[.httpMethod] else {
            Issue.record("a short value stays a string")
            return
        }
    }

    @Test func aSliceIsTheSameValueAsItsString() throws {
        let event = try #require(only(events(of: Self.request)[0]))
        let value = try #require(event[.httpUserAgent])
        #expect(value == .string(Self.agent))
        #expect(FieldValue.string(Self.agent) == value)
        #expect(value.hashValue == FieldValue.string(Self.agent).hashValue)
        #expect(Set([value, .string(Self.agent)]).count == 1)
        #expect(value != .string(Self.agent + " "))
    }

    @Test func nonASCIITextStaysAString() throws {
        let agent = "Navigateur-très-spécial/1.0 (Linux; fr)"
        let line = Self.request.replacingOccurrences(of: Self.agent, with: agent)
        let event = try #require(only(events(of: line)[0]))
        guard case .string(let text) = event[.httpUserAgent] else {
            Issue.record("non-ASCII text is read as a string (invalid UTF-8 repaired as before)")
            return
        }
        #expect(text == agent)
    }

    @Test func sudoCommandLinesAreSlices() throws {
        let command = "/usr/bin/systemctl restart nginx.service --no-block"
        let event = try #require(
            only(
                events(
                    of: "Nov 24 10:00:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice/projects/site ; "
                        + "USER=root ; COMMAND=\(command)")[0]))
        guard case .text(let slice) = event[.processCommandLine] else {
            Issue.record("the command line should be a slice of the line")
            return
        }
        #expect(slice.string == command)
        #expect(event[.processWorkingDirectory] == .string("/home/alice/projects/site"))
        #expect(event[.userTarget] == .string("root"))
    }
}
