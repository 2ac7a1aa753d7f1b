import ArgumentParser
import SashaCore

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a new ring key: the shared secret that authenticates every ring packet.",
        discussion: """
            Writes 32 random bytes, hex-encoded on one line, to a new file readable only by its \
            owner (mode 0600). Copy the same file to every member and name it in ring.key_file. \
            An existing file is never overwritten unless --force is given.

            Example:
              sasha keygen --out /etc/sasha/ring.key
            """
    )

    @Option(name: .long, help: "Where to write the key.")
    var out: String

    @Flag(help: "Replace the file if it exists.")
    var force = false

    func run() throws {
        do throws(RingKey.WriteError) {
            try RingKey.generate().write(to: out, replacing: force)
        } catch {
            throw ValidationError(error.description)
        }
        print("wrote a new ring key to \(out) (mode 0600); copy it to every member and set ring.key_file")
    }
}
