//! Lower-case hex encoding, and random identifiers (request nonces, run ids) as hex. A leaf.

/// `bytes` as lower-case hex.
pub fn encode(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// 128 random bits from the operating system, as hex: nonces and run ids.
pub fn random_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(encode(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_ids() {
        assert_eq!(encode(&[0, 15, 255]), "000fff");
        let a = random_id().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, random_id().unwrap());
    }
}
