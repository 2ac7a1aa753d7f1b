import Yams

/// Turns what Yams throws into a diagnostic at the place libyaml stopped, with a hint for the
/// usual causes.
enum YAMLSyntax {
    static func diagnostic(for error: any Error, file: String, text: String) -> Diagnostic {
        func at(_ position: TextPosition, _ message: String) -> Diagnostic {
            Diagnostic(location: SourceLocation(file: file, line: max(1, position.line), column: max(1, position.column)),
                       message: message)
        }
        guard let error = error as? YamlError else {
            return at(TextPosition(line: 1, column: 1), "cannot read the YAML: \(error)")
        }
        switch error {
        case .scanner(let context, let problem, let mark, _) where context?.text == "while scanning a simple key":
            // libyaml notices the missing ':' on a later line; the culprit is the key it started at.
            return at(TextPosition(context!.mark), "YAML syntax error: this line has no ':' after its key "
                      + "(\(problem), noticed at line \(mark.line), column \(mark.column)); write 'key: value', "
                      + "with a space after the colon")
        case .scanner(let context, let problem, let mark, _) where context?.text == "while scanning a quoted scalar":
            return at(TextPosition(context!.mark), "YAML syntax error: this quoted text is not closed "
                      + "(\(problem) at line \(mark.line), column \(mark.column)); add the closing quote")
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return at(TextPosition(mark), message(problem: problem, context: context,
                                                   line: TextLines.line(mark.line, of: text)))
        case .reader(let problem, let offset, let value, _):
            let position = offset.map { TextLines.position(ofCharacterOffset: $0, in: text) }
                ?? TextPosition(line: 1, column: 1)
            let code = value >= 0 ? " (U+\(String(UInt32(value), radix: 16, uppercase: true)))" : ""
            return at(position, "YAML cannot read this character: \(problem)\(code); remove it, and save the file as UTF-8 text")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return at(TextPosition(context.mark), "duplicate key \(keys); keep only one of them")
        default:
            return at(TextPosition(line: 1, column: 1), "cannot read the YAML: \(error)")
        }
    }

    /// "YAML syntax error: <what libyaml found> (<while doing what, where>); <hint>".
    static func message(problem: String, context: YamlError.Context?, line: String) -> String {
        if problem == "but found another document" {
            return "the file holds more than one YAML document; a configuration is one document, so remove this '---' and what follows or merge it into the first"
        }
        var text = "YAML syntax error: \(problem)"
        if let context, !context.text.isEmpty {
            text += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        if let hint = hint(problem: problem, line: line) { text += "; \(hint)" }
        return text
    }

    private static func hint(problem: String, line: String) -> String? {
        if line.prefix(while: { $0 == " " || $0 == "\t" }).contains("\t") {
            return "indent with spaces: YAML does not allow tabs for indentation"
        }
        if problem.contains("mapping values are not allowed") {
            return "put a space after each ':' that ends a key, and quote values that contain ': '"
        }
        if problem.contains("did not find expected key") || problem.contains("did not find expected '-'") {
            return "check that this line is indented like the keys beside it"
        }
        if problem.contains("expected ',' or '}'") {
            return "separate the entries of { ... } with commas and close it with '}'"
        }
        if problem.contains("expected ',' or ']'") {
            return "separate the items of [ ... ] with commas and close it with ']'"
        }
        if problem.contains("found undefined alias") {
            return "define the anchor (&name) before using it (*name)"
        }
        if problem.contains("cannot start any token") {
            return "quote values that start with '@', '`' or '%'"
        }
        return nil
    }
}
