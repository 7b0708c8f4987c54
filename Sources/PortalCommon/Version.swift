/// burrow's version, shown by every `--version`.
public enum BurrowVersion {
    public static let string = "0.1.0"
}
