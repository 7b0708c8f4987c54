/// X11 authority cookies for the sandbox's display `:99`.
///
/// An `.Xauthority` file is a list of records, each five big-endian
/// length-prefixed fields after a 16-bit family: address, display number,
/// auth name, auth data. The sandbox gets only the records for the host
/// display it is given, renumbered to 99 and made FamilyWild (any address),
/// as Flatpak does: never the cookies of other displays or hosts.
public enum XAuthority {
    static let familyLocal: UInt16 = 256
    static let familyWild: UInt16 = 65535

    struct Record: Equatable {
        var family: UInt16
        var address: [UInt8]
        var number: [UInt8]
        var name: [UInt8]
        var data: [UInt8]
    }

    /// The records of `file` for display `display` of this machine
    /// (`hostname`), rewritten for `:99`; nil when there are none or the
    /// file does not parse.
    public static func sandboxCookies(from file: [UInt8], display: Int, hostname: String) -> [UInt8]? {
        guard let records = parse(file) else { return nil }
        let wanted = Array(String(display).utf8)
        let host = Array(hostname.utf8)
        let kept = records.filter { record in
            record.number == wanted && (record.family == familyWild || (record.family == familyLocal && record.address == host))
        }
        guard !kept.isEmpty else { return nil }
        return kept.flatMap { record in
            serialize(Record(family: familyWild, address: [], number: Array("99".utf8), name: record.name, data: record.data))
        }
    }

    static func parse(_ bytes: [UInt8]) -> [Record]? {
        var records: [Record] = []
        var index = 0
        func u16() -> UInt16? {
            guard index + 2 <= bytes.count else { return nil }
            defer { index += 2 }
            return UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        }
        func field() -> [UInt8]? {
            guard let length = u16(), index + Int(length) <= bytes.count else { return nil }
            defer { index += Int(length) }
            return Array(bytes[index..<index + Int(length)])
        }
        while index < bytes.count {
            guard let family = u16(), let address = field(), let number = field(), let name = field(), let data = field() else {
                return nil
            }
            records.append(Record(family: family, address: address, number: number, name: name, data: data))
        }
        return records
    }

    static func serialize(_ record: Record) -> [UInt8] {
        func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }
        var out = u16(Int(record.family))
        for field in [record.address, record.number, record.name, record.data] { out += u16(field.count) + field }
        return out
    }
}
