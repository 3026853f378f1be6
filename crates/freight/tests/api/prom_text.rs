//! A strict reader of the Prometheus text exposition format for the metrics test.
//! (The `prometheus-parse` crate cuts label values at the first `}`, so routes such as
//! `/shipments/{id}` would be lost; this reader follows the format's quoting rules.)

use std::collections::HashMap;

/// One sample line.
#[derive(Debug)]
pub struct Sample {
    pub metric: String,
    pub labels: HashMap<String, String>,
    pub value: f64,
}

/// Parses every line, failing on anything that is not a comment, a blank line or a valid sample.
pub fn parse(text: &str) -> Result<Vec<Sample>, String> {
    let mut samples = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let kind = rest.split_whitespace().nth(1).unwrap_or("");
                if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                    return Err(format!("line {}: bad TYPE `{line}`", n + 1));
                }
            }
            continue;
        }
        samples.push(parse_sample(line).map_err(|e| format!("line {}: {e}: `{line}`", n + 1))?);
    }
    Ok(samples)
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let metric = &line[..name_end];
    let valid_name = metric.chars().enumerate().all(|(i, c)| {
        c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
    });
    if metric.is_empty() || !valid_name {
        return Err("bad metric name".into());
    }
    let mut rest = &line[name_end..];
    let mut labels = HashMap::new();
    if let Some(body) = rest.strip_prefix('{') {
        let mut chars = body.char_indices().peekable();
        loop {
            let (start, c) = chars.next().ok_or("unterminated labels")?;
            if c == '}' {
                rest = &body[start + 1..];
                break;
            }
            if c == ',' {
                continue;
            }
            let eq = body[start..].find('=').ok_or("label without =")? + start;
            let key = body[start..eq].trim().to_string();
            while chars.peek().is_some_and(|(i, _)| *i <= eq) {
                chars.next();
            }
            if chars.next().map(|(_, c)| c) != Some('"') {
                return Err("label value not quoted".into());
            }
            let mut value = String::new();
            loop {
                match chars.next().ok_or("unterminated label value")?.1 {
                    '\\' => match chars.next().ok_or("dangling escape")?.1 {
                        'n' => value.push('\n'),
                        other => value.push(other),
                    },
                    '"' => break,
                    other => value.push(other),
                }
            }
            labels.insert(key, value);
        }
    }
    let value = rest.split_whitespace().next().ok_or("no value")?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse().map_err(|_| "value is not a number")?,
    };
    Ok(Sample {
        metric: metric.to_string(),
        labels,
        value,
    })
}

#[test]
fn reads_quoted_braces_and_escapes() {
    let samples =
        parse("# TYPE x counter\nx{route=\"/a/{id}\",q=\"say \\\"hi\\\"\"} 3\ny 1.5e3\n").unwrap();
    assert_eq!(samples[0].labels["route"], "/a/{id}");
    assert_eq!(samples[0].labels["q"], "say \"hi\"");
    assert_eq!((samples[0].value, samples[1].value), (3.0, 1500.0));
    assert!(parse("x{route=\"unterminated} 1").is_err());
    assert!(parse("9bad 1").is_err());
}
