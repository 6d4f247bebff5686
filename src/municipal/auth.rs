//! Staff sign-in and sessions for the municipal pages.
//!
//! SKELETON (lead, 2026-12-05): the interface the municipal pages are written against. The
//! sign-in itself (single-use emailed links, signed session cookie, CSRF, rate limits) is
//! being built on branch `muni-web`, which replaces the bodies below; until then no request
//! is let in.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::{MuniState, Role};

/// A signed-in staff member of the commune named by the request's `{commune}` path segment.
/// Only [`FromRequestParts`] builds one, after checking the session cookie and that this
/// person is on that commune's staff; a handler taking a `Staff` is therefore staff-only.
#[derive(Clone, Debug)]
pub struct Staff {
    pub email: String,
    /// The commune's slug (the URL's `{commune}`).
    pub commune: String,
    pub role: Role,
    /// This session's anti-CSRF token.
    csrf: String,
}

impl Staff {
    pub fn is_editor(&self) -> bool {
        self.role == Role::Editor
    }

    /// The hidden form field every staff form must carry.
    pub fn csrf_field(&self) -> String {
        format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", self.csrf)
    }

    /// Checks a submitted form's `csrf` field.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), Denied> {
        if !self.csrf.is_empty() && submitted == self.csrf {
            Ok(())
        } else {
            Err(Denied::FORM_EXPIRED)
        }
    }

    /// Editors only.
    pub fn require_editor(&self) -> Result<(), Denied> {
        if self.is_editor() {
            Ok(())
        } else {
            Err(Denied::EDITORS_ONLY)
        }
    }
}

/// A refusal of a staff request; its response is a short page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denied {
    pub status: StatusCode,
    /// French then English, plain text.
    pub message: &'static str,
}

impl Denied {
    pub const FORM_EXPIRED: Denied = Denied {
        status: StatusCode::FORBIDDEN,
        message: "Ce formulaire a expiré : rechargez la page. / This form expired: reload the page.",
    };
    pub const EDITORS_ONLY: Denied = Denied {
        status: StatusCode::FORBIDDEN,
        message: "Réservé aux éditeurs de la commune. / Editors of the commune only.",
    };
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        (self.status, self.message).into_response()
    }
}

impl FromRequestParts<MuniState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(_parts: &mut Parts, _state: &MuniState) -> Result<Self, Self::Rejection> {
        Err((StatusCode::FORBIDDEN, "connexion indisponible / sign-in unavailable").into_response())
    }
}
