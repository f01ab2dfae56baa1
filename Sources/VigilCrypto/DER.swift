/// A minimal DER reader: enough to check the fields of a CMS signature that OpenSSL's verifier
/// does not (the version numbers, the content type, the algorithm identifiers), so that any
/// change to a signature Vigil made is noticed.
struct DERReader {
    struct Element {
        var tag: UInt8
        /// The contents' bytes.
        var body: ArraySlice<UInt8>
        /// The whole element, header included.
        var whole: ArraySlice<UInt8>
    }

    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { bytes.isEmpty }

    /// The next element, in DER's definite, minimal length form; `nil` if malformed.
    mutating func next() -> Element? {
        guard bytes.count >= 2 else { return nil }
        let start = bytes.startIndex
        let tag = bytes[start]
        guard tag & 0x1F != 0x1F else { return nil }  // high tag numbers do not occur in CMS
        var index = start + 1
        let first = bytes[index]
        index += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard count >= 1, count <= 4, index + count <= bytes.endIndex else { return nil }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
            // DER: the shortest form, no leading zero byte.
            guard length >= 0x80, bytes[start + 2] != 0 else { return nil }
        }
        guard index + length <= bytes.endIndex else { return nil }
        let element = Element(tag: tag, body: bytes[index..<(index + length)], whole: bytes[start..<(index + length)])
        bytes = bytes[(index + length)...]
        return element
    }
}

extension CMS {
    static let idSignedData: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]
    static let idData: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01]
    static let idContentType: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03]
    static let sha256: [UInt8] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]
    static let signatureAlgorithms: [[UInt8]] = [
        [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02],  // ecdsa-with-SHA256
        [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B],  // sha256WithRSAEncryption
        [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01],  // rsaEncryption
    ]

    /// The fields of a detached signature OpenSSL does not check, checked: ContentInfo of type
    /// signedData; SignedData version 1 with SHA-256 and detached id-data content; each
    /// SignerInfo version 1, SHA-256, a known signature algorithm, a content-type attribute of
    /// id-data; nothing after the structure. Returns why it does not hold.
    static func structureProblem(_ der: [UInt8]) -> String? {
        func oid(_ element: DERReader.Element?) -> [UInt8]? {
            guard let element, element.tag == 0x06 else { return nil }
            return Array(element.body)
        }
        func algorithm(_ element: DERReader.Element?) -> [UInt8]? {
            guard let element, element.tag == 0x30 else { return nil }
            var reader = DERReader(element.body)
            let identifier = oid(reader.next())
            if let parameters = reader.next(), !(parameters.tag == 0x05 && parameters.body.isEmpty) { return nil }
            return reader.isAtEnd ? identifier : nil
        }
        var top = DERReader(der[...])
        guard let contentInfo = top.next(), contentInfo.tag == 0x30, top.isAtEnd else {
            return "not one DER structure"
        }
        var info = DERReader(contentInfo.body)
        guard oid(info.next()) == idSignedData else { return "not CMS signed data" }
        guard let explicit = info.next(), explicit.tag == 0xA0, info.isAtEnd else { return "malformed ContentInfo" }
        var outer = DERReader(explicit.body)
        guard let signedData = outer.next(), signedData.tag == 0x30, outer.isAtEnd else {
            return "malformed SignedData"
        }
        var fields = DERReader(signedData.body)
        guard let version = fields.next(), version.tag == 0x02, Array(version.body) == [1] else {
            return "SignedData version is not 1"
        }
        guard let digests = fields.next(), digests.tag == 0x31 else { return "no digest algorithms" }
        var digestReader = DERReader(digests.body)
        while !digestReader.isAtEnd {
            guard algorithm(digestReader.next()) == sha256 else { return "a digest algorithm other than SHA-256" }
        }
        guard let encapsulated = fields.next(), encapsulated.tag == 0x30 else { return "no content info" }
        var content = DERReader(encapsulated.body)
        guard oid(content.next()) == idData, content.isAtEnd else {
            return "content type is not id-data, or content is attached"
        }
        var next = fields.next()
        if let certificates = next, certificates.tag == 0xA0 { next = fields.next() }
        if let crls = next, crls.tag == 0xA1 { next = fields.next() }
        guard let signerInfos = next, signerInfos.tag == 0x31, fields.isAtEnd else { return "malformed signer infos" }
        var signers = DERReader(signerInfos.body)
        guard !signers.isAtEnd else { return "no signer" }
        while !signers.isAtEnd {
            guard let signer = signers.next(), signer.tag == 0x30 else { return "malformed SignerInfo" }
            var parts = DERReader(signer.body)
            guard let signerVersion = parts.next(), signerVersion.tag == 0x02, Array(signerVersion.body) == [1] else {
                return "SignerInfo version is not 1"
            }
            guard let identifier = parts.next(), identifier.tag == 0x30 else { return "malformed signer identifier" }
            guard algorithm(parts.next()) == sha256 else { return "signer digest is not SHA-256" }
            var element = parts.next()
            guard let attributes = element, attributes.tag == 0xA0 else { return "no signed attributes" }
            var contentTypeOK = false
            var attributeReader = DERReader(attributes.body)
            while let attribute = attributeReader.next() {
                var attributeParts = DERReader(attribute.body)
                if oid(attributeParts.next()) == idContentType {
                    guard let values = attributeParts.next(), values.tag == 0x31 else {
                        return "malformed content type"
                    }
                    var valueReader = DERReader(values.body)
                    contentTypeOK = oid(valueReader.next()) == idData && valueReader.isAtEnd
                }
            }
            guard contentTypeOK else { return "the signed content-type attribute is not id-data" }
            element = parts.next()
            guard let signatureAlgorithm = algorithm(element), signatureAlgorithms.contains(signatureAlgorithm) else {
                return "unknown signature algorithm"
            }
            guard let value = parts.next(), value.tag == 0x04 else { return "no signature value" }
            if let unsigned = parts.next(), unsigned.tag != 0xA1 || !parts.isAtEnd {
                return "trailing SignerInfo fields"
            }
            _ = identifier
        }
        return nil
    }
}
