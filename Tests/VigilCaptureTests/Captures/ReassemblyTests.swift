import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("TCP reassembly")
struct ReassemblyTests {
    private func collect(_ segments: [(UInt32, String, UInt8)], limit: Int = 1 << 16) -> (String, Int) {
        var stream = HalfStream()
        var text = ""
        var gaps = 0
        let sink: (HalfStream.Output) -> Void = { output in
            switch output {
            case .data(let bytes, _, _): text += String(decoding: bytes, as: UTF8.self)
            case .gap: gaps += 1
            }
        }
        for (number, segment) in segments.enumerated() {
            let bytes = Array(segment.1.utf8)
            bytes.withUnsafeBytes { buffer in
                _ = stream.accept(
                    sequence: segment.0, flags: segment.2, payload: buffer, packet: number + 1,
                    time: Timestamp(seconds: 0), limit: limit, deliver: sink)
            }
        }
        stream.flush(deliver: sink)
        return (text, gaps)
    }

    @Test func inOrderOutOfOrderRetransmittedAndOverlapping() {
        let (text, gaps) = collect([
            (99, "", TCPFlag.syn),
            (100, "USER ", TCPFlag.ack),
            (110, "\r\n", TCPFlag.ack),  // ahead of a hole
            (105, "alice", TCPFlag.ack),  // fills it
            (100, "USER ", TCPFlag.ack),  // retransmission
            (108, "ce\r\nPASS", TCPFlag.ack),  // overlaps "ce\r\n", adds "PASS"
        ])
        #expect(text == "USER alice\r\nPASS")
        #expect(gaps == 0)
    }

    @Test func sequenceNumbersWrapAround() {
        let (text, _) = collect([
            (UInt32.max - 2, "", TCPFlag.syn),
            (UInt32.max - 1, "ab", TCPFlag.ack),
            (2, "ef", TCPFlag.ack),
            (0, "cd", TCPFlag.ack),
        ])
        #expect(text == "abcdef")
    }

    @Test func aHoleThatNeverFillsIsAGap() {
        let (text, gaps) = collect([(1, "one ", TCPFlag.ack), (100, "two", TCPFlag.ack)])
        #expect(text == "one two")
        #expect(gaps == 1)
    }
}
