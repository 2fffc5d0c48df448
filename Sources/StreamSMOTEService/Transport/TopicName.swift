/// How a label appears in an output topic or subject: `real.<token>`, `synthetic.<token>`.
///
/// Letters, digits, `_` and `-` stand for themselves; every other byte of the label's UTF-8
/// (a `.`, a space, `%`, non-ASCII text) is written `%XX`. So a topic is always one token
/// after its kind, whatever the label: `fraud.card` cannot be mistaken for a sub-topic of
/// `fraud` by a prefix subscription, and JetStream subjects (where `.`, spaces, `*` and `>`
/// have meanings) stay valid. The payload carries the label unchanged.
enum TopicName {
    /// The topic token of `label`.
    static func token(_ label: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(label.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in label.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                bytes.append(byte)
            default:
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
