import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("Devices from IPv6 neighbour discovery, DHCPv6 and NBNS")
struct MoreDeviceTests {
    @Test func sightings() throws {
        let (_, events) = try read(TestPaths.fixture("devices-ipv6-nbns.pcap"))
        let tracker = DeviceTracker()
        events.forEach(tracker.process)
        let devices = Dictionary(uniqueKeysWithValues: tracker.list().map { ($0.mac, $0) })
        let printer = try #require(devices["00:11:22:33:44:55"])
        #expect(printer.ips == ["fe80::211:22ff:fe33:4455"])
        #expect(printer.seenBy.contains("ndp"))
        let laptop = try #require(devices["aa:aa:bb:cc:dd:01"])
        #expect(laptop.hostnames == ["laptop-7.corp.example"])
        #expect(laptop.ips.contains("2001:db8::42"))
        #expect(laptop.locallyAdministered)
        let pc = try #require(devices["00:16:3e:00:00:77"])
        #expect(pc.hostnames == ["ACCOUNTING-PC"])
        #expect(pc.seenBy.contains("nbns"))
    }
}
