/// Text for HTML: the project's pages (evaluate's report, serve's page) escape every value they
/// interpolate through this one function, in element text and in quoted attributes.
///
///     HTML.escape(#"<b>"Tom & Jerry's"</b>"#)   // &lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;
public enum HTML {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
