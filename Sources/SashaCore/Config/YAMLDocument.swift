import Yams

/// A line and column as libyaml counts them (from 1; columns in Unicode scalars).
struct TextPosition: Hashable {
    var line: Int
    var column: Int

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    init(_ mark: Mark) { self.init(line: mark.line, column: mark.column) }
}

/// A YAML text composed into nodes that keep their positions.
///
/// Yams stops at the first mapping with a duplicated key and reports only the first occurrence.
/// To report the duplicate at the second occurrence and still check the rest of the file, the
/// first occurrence is renamed in a copy of the text (to private-use characters of the same
/// length, so no position moves) and the text composed again; `renamedKeys` gives back the
/// original names, and the checker reports the duplicate itself.
struct YAMLDocument {
    /// The document's top node; nil for a file with no document at all.
    var root: Node?
    /// The original text of each renamed key, by its position.
    var renamedKeys: [TextPosition: String]
    /// The text as the user wrote it.
    var text: String

    /// How many duplicated keys are recovered from before giving up with Yams' report.
    private static let maximumRenames = 500

    static func compose(_ text: String, file: String) -> Result<YAMLDocument, Diagnostic> {
        var source = text
        var renamed: [TextPosition: String] = [:]
        for serial in 0...maximumRenames {
            do {
                let root = try Yams.compose(yaml: source)
                return .success(YAMLDocument(root: root, renamedKeys: renamed, text: text))
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                let key = duplicates.first ?? ""
                let position = TextPosition(context.mark)
                guard serial < maximumRenames,
                      let rewritten = TextLines.rename(key, at: position, in: source, serial: serial)
                else {
                    let location = SourceLocation(file: file, line: max(1, position.line), column: max(1, position.column))
                    return .failure(Diagnostic(location: location, message: "duplicate key '\(key)'; keep only one of them"))
                }
                renamed[position] = key
                source = rewritten
            } catch {
                return .failure(YAMLSyntax.diagnostic(for: error, file: file, text: text))
            }
        }
        return .failure(Diagnostic(location: .start(of: file), message: "too many duplicated keys"))
    }
}

/// Positions in text, counted as libyaml counts them.
enum TextLines {
    /// The scalar index of a line and column, or nil past the end.
    static func offset(of position: TextPosition, in scalars: [Unicode.Scalar]) -> Int? {
        var index = scalars.first == "\u{FEFF}" ? 1 : 0
        var line = 1
        while line < position.line {
            guard index < scalars.count else { return nil }
            let scalar = scalars[index]
            index += 1
            if scalar == "\r", index < scalars.count, scalars[index] == "\n" { index += 1 }
            if isBreak(scalar) { line += 1 }
        }
        let result = index + position.column - 1
        return result <= scalars.count ? result : nil
    }

    /// The text of a line (from 1), without its line break.
    static func line(_ number: Int, of text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard var index = offset(of: TextPosition(line: number, column: 1), in: scalars) else { return "" }
        var view = String.UnicodeScalarView()
        while index < scalars.count, !isBreak(scalars[index]) {
            view.append(scalars[index])
            index += 1
        }
        return String(view)
    }

    /// The line and column of a character offset (Yams reports reader errors by offset).
    static func position(ofCharacterOffset offset: Int, in text: String) -> TextPosition {
        var scalars = Array(text.prefix(offset).unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var line = 1
        var column = 1
        for (index, scalar) in scalars.enumerated() {
            if scalar == "\n", index > 0, scalars[index - 1] == "\r" { continue }
            if isBreak(scalar) {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return TextPosition(line: line, column: column)
    }

    /// The text with the key written at `position` replaced by private-use characters of the same
    /// length, distinct for each `serial`; nil unless the key is written there as is (plain or
    /// quoted without escapes).
    static func rename(_ key: String, at position: TextPosition, in text: String, serial: Int) -> String? {
        var scalars = Array(text.unicodeScalars)
        guard var index = offset(of: position, in: scalars) else { return nil }
        if index < scalars.count, scalars[index] == "\"" || scalars[index] == "'" { index += 1 }
        let keyScalars = Array(key.unicodeScalars)
        guard !keyScalars.isEmpty, index + keyScalars.count <= scalars.count,
              Array(scalars[index..<index + keyScalars.count]) == keyScalars else { return nil }
        for step in keyScalars.indices {
            let value = 0xE000 + (step == 0 ? serial % 0x1900 : 0)
            scalars[index + step] = Unicode.Scalar(UInt32(value))!
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// libyaml's line breaks.
    static func isBreak(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}": true
        default: false
        }
    }
}
