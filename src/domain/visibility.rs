//! Who may see an issue (spec sections 2 and 3). The storage layer expresses the same rule as
//! SQL for lists; tests hold the two together.

use super::{Role, Sensitivity};

/// The caller, with the codes of its unit's subtree (the unit itself included).
#[derive(Debug, Clone)]
pub struct Viewer {
    pub role: Role,
    pub user_id: i64,
    pub unit: Option<String>,
    pub subtree: Vec<String>,
}

/// What visibility depends on.
#[derive(Debug, Clone, Copy)]
pub struct IssueFacts<'a> {
    pub sensitivity: Sensitivity,
    pub filed_by_id: i64,
    pub filing_unit: Option<&'a str>,
    pub assigned_unit: Option<&'a str>,
}

impl Viewer {
    fn in_subtree(&self, unit: Option<&str>) -> bool {
        unit.is_some_and(|u| self.subtree.iter().any(|s| s == u))
    }

    /// Whether the caller sees every issue, restricted ones included (admins, the TRC,
    /// leaders without a unit): no issue's facts need reading for them.
    pub fn sees_everything(&self) -> bool {
        match self.role {
            Role::Admin | Role::Trc => true,
            Role::Leader => self.unit.is_none(),
            Role::Pic => false,
        }
    }

    /// Whether the caller may see the issue at all.
    pub fn can_see(&self, i: &IssueFacts<'_>) -> bool {
        let own = i.filed_by_id == self.user_id;
        match (self.role, i.sensitivity) {
            _ if self.sees_everything() => true,
            // Admins and the TRC are answered above; the arm keeps the match exhaustive.
            (Role::Admin | Role::Trc, _) => true,
            (Role::Leader, Sensitivity::Normal) => {
                self.in_subtree(i.filing_unit) || self.in_subtree(i.assigned_unit)
            }
            (Role::Leader, Sensitivity::Restricted) => self.in_subtree(i.assigned_unit),
            (Role::Pic, Sensitivity::Normal) => {
                own || self.in_subtree(i.filing_unit) || self.in_subtree(i.assigned_unit)
            }
            (Role::Pic, Sensitivity::Restricted) => {
                own || (i.assigned_unit.is_some() && i.assigned_unit == self.unit.as_deref())
            }
        }
    }

    /// Whether the caller is a PIC of the issue's assigned unit.
    pub fn is_pic_of(&self, assigned_unit: Option<&str>) -> bool {
        self.role == Role::Pic && assigned_unit.is_some() && assigned_unit == self.unit.as_deref()
    }
}

/// The codes of `root` and every unit below it, from (code, parent) pairs.
pub fn subtree(units: &[(String, Option<String>)], root: &str) -> Vec<String> {
    let mut out = vec![root.to_owned()];
    let mut i = 0;
    while let Some(current) = out.get(i).cloned() {
        for (code, parent) in units {
            if parent.as_deref() == Some(current.as_str()) && !out.contains(code) {
                out.push(code.clone());
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units() -> Vec<(String, Option<String>)> {
        [
            ("DINKES", None),
            ("PKM_A", Some("DINKES")),
            ("POSYANDU", Some("PKM_A")),
            ("DPUPR", None),
        ]
        .iter()
        .map(|(c, p)| ((*c).to_owned(), p.map(str::to_owned)))
        .collect()
    }

    #[test]
    fn subtrees_include_every_level() {
        assert_eq!(subtree(&units(), "DINKES"), ["DINKES", "PKM_A", "POSYANDU"]);
        assert_eq!(subtree(&units(), "DPUPR"), ["DPUPR"]);
    }

    #[test]
    fn restricted_issues() {
        let pic = Viewer {
            role: Role::Pic,
            user_id: 7,
            unit: Some("DINKES".into()),
            subtree: subtree(&units(), "DINKES"),
        };
        let filed_in_subunit = IssueFacts {
            sensitivity: Sensitivity::Restricted,
            filed_by_id: 9,
            filing_unit: Some("PKM_A"),
            assigned_unit: Some("PKM_A"),
        };
        assert!(
            !pic.can_see(&filed_in_subunit),
            "restricted: only the assigned unit itself"
        );
        let normal = IssueFacts {
            sensitivity: Sensitivity::Normal,
            ..filed_in_subunit
        };
        assert!(pic.can_see(&normal), "normal: the subtree");
        let leader = Viewer {
            role: Role::Leader,
            user_id: 1,
            unit: Some("DINKES".into()),
            subtree: subtree(&units(), "DINKES"),
        };
        assert!(
            leader.can_see(&filed_in_subunit),
            "a leader's subtree holds the assigned unit"
        );
        let own = IssueFacts {
            filed_by_id: 7,
            assigned_unit: Some("DPUPR"),
            ..filed_in_subunit
        };
        assert!(pic.can_see(&own), "the filing user");
    }
}
