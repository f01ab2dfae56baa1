/// Every protocol Vigil reads from captures: adding one is a file (or folder) under
/// `Dissectors/` and a line here.
enum DissectorRegistry {
    /// TCP dissectors, in the order they are asked to recognise a connection.
    static let tcp: [any TCPDissector.Type] = [
        FTPDissector.self, HTTPDissector.self, SMTPDissector.self, POP3Dissector.self, IMAPDissector.self,
        RedisDissector.self, LDAPDissector.self, NTLMCarrierDissector.self, PostgreSQLDissector.self,
        MySQLDissector.self, VNCDissector.self, TelnetDissector.self, TLSDissector.self, SSHDissector.self,
        KerberosDissector.self,
    ]

    /// UDP dissectors, in the order they are offered each datagram (the first to claim it keeps it).
    static let udp: [any UDPDissector.Type] = [
        SNMPDissector.self, DHCPDissector.self, KerberosDissector.self, DHCPv6Dissector.self, NBNSDissector.self,
        MulticastDNSDissector.self,
    ]
}
