//! The logged-in person and portal users.

use super::ids::UserId;
use serde::{Deserialize, Serialize};

/// The logged-in person, as the portal sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDto {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
}

string_enum! {
    /// Portal roles, from most to least powerful.
    pub enum Role(RoleInvalid) {
        Admin = "admin",
        Operator = "operator",
        Viewer = "viewer",
    }
}

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::Admin => 3,
            Role::Operator => 2,
            Role::Viewer => 1,
        }
    }

    /// Whether a user with this role may do what `needed` guards.
    pub fn allows(self, needed: Role) -> bool {
        self.rank() >= needed.rank()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ErrorCode;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin.allows(Role::Operator));
        assert!(Role::Operator.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Operator));
        assert!(!Role::Operator.allows(Role::Admin));
        assert_eq!("viewer".parse::<Role>(), Ok(Role::Viewer));
        assert_eq!("root".parse::<Role>(), Err(ErrorCode::RoleInvalid));
    }
}
