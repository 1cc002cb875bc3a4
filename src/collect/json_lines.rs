//! Lines of array elements in a JSON text, found without a second full parse.
//!
//! serde_json gives no positions, and plans can be hundreds of megabytes. This single pass
//! tracks only nesting, strings and newlines, so findings on a plan or state can point at the
//! line where each resource starts.

/// The 1-based lines on which each element of the array at `key` (a key of the top-level
/// object) starts and ends. Empty if there is no such array.
pub fn element_lines(text: &str, key: &str) -> Vec<(u32, u32)> {
    let bytes = text.as_bytes();
    let mut lines: Vec<(u32, u32)> = Vec::new();
    let mut line: u32 = 1;
    let mut depth = 0usize;
    let mut i = 0;
    // State for the top-level key we are waiting on.
    let mut last_key_at_depth1: Option<(usize, usize)> = None;
    let mut in_target: Option<usize> = None; // depth of the target array's contents
    let mut expect_element = false;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => line += 1,
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    } else if bytes[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                if depth == 1 && in_target.is_none() {
                    last_key_at_depth1 = Some((start, i.min(bytes.len())));
                }
                if expect_element && in_target == Some(depth) {
                    lines.push((line, line));
                    expect_element = false;
                }
            }
            b'{' | b'[' => {
                if expect_element && in_target == Some(depth) {
                    lines.push((line, line));
                    expect_element = false;
                }
                depth += 1;
                if b == b'['
                    && depth == 2
                    && in_target.is_none()
                    && last_key_at_depth1.is_some_and(|(s, e)| &text[s..e] == key)
                {
                    in_target = Some(depth);
                    expect_element = true;
                }
            }
            b'}' | b']' => {
                if in_target == Some(depth) {
                    return lines;
                }
                depth = depth.saturating_sub(1);
                if in_target == Some(depth)
                    && let Some(last) = lines.last_mut()
                {
                    last.1 = line;
                }
            }
            b',' if in_target == Some(depth) => expect_element = true,
            b' ' | b'\t' | b'\r' | b':' | b',' => {}
            _ => {
                if expect_element && in_target == Some(depth) {
                    lines.push((line, line));
                    expect_element = false;
                }
            }
        }
        i += 1;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_element_lines_of_a_top_level_array() {
        let text = "{\n \"x\": [1],\n \"resources\": [\n  {\"a\": \"]\"},\n  {\n   \"b\": [2]\n  }\n ],\n \"z\": 1\n}";
        assert_eq!(element_lines(text, "resources"), [(4, 4), (5, 7)]);
        assert_eq!(element_lines(text, "x"), [(2, 2)]);
        assert!(element_lines(text, "missing").is_empty());
    }

    #[test]
    fn compact_json_is_all_line_one() {
        let text = r#"{"resource_changes":[{"address":"a"},{"address":"b\"c"}]}"#;
        assert_eq!(element_lines(text, "resource_changes"), [(1, 1), (1, 1)]);
    }

    #[test]
    fn never_panics_on_truncated_input() {
        for cut in 0..40 {
            let text = "{\"resources\": [ {\"a\": \"b\\\"\"}, [1,2] ]}";
            let _ = element_lines(&text[..cut.min(text.len())], "resources");
        }
    }
}
