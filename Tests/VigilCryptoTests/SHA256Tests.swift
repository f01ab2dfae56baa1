import Testing
import VigilCrypto

@Suite("SHA-256 through OpenSSL EVP")
struct SHA256Tests {
    /// FIPS 180-2 test vectors, plus a value from the conformance data.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        ("qwerty", "65e84be33532fb784c48129675f9eff3a682b27168c0ea744b2cf58ee02337c5"),
    ])
    func knownVectors(input: String, expected: String) throws {
        #expect(try SHA256.hex(input) == expected)
    }

    @Test func digestIs32BytesEvenForLargeInput() throws {
        let million = [UInt8](repeating: 0x61, count: 1_000_000)
        let digest = try SHA256.digest(million)
        #expect(digest.count == 32)
        #expect(digest.hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func hexStringOfBytes() {
        #expect([0x00, 0x0f, 0xa0, 0xff].hexString == "000fa0ff")
    }
}
