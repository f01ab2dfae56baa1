internal import VigilCore

/// Offers each UDP datagram of a capture to the registered UDP dissectors in turn; the first to
/// claim it keeps it.
final class DatagramDispatcher {
    private let sessions: [any DatagramSession]

    init(path: String, devices: DeviceObserver) {
        let context = CaptureContext(path: path, devices: devices)
        sessions = DissectorRegistry.udp.map { $0.makeSession(context) }
    }

    func process(
        _ segment: TransportPacket, sourceMAC: MACAddress?, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        let datagram = Datagram(packet: segment, sourceMAC: sourceMAC, number: packet, time: time)
        for session in sessions where session.receive(datagram, into: &events) { return }
    }

    /// Reports what still waits for an answer (SNMP requests, Kerberos AS-REQs).
    func finish(into events: inout [Event]) {
        for session in sessions { session.finish(into: &events) }
    }
}
