package audit

// KnownTypes lists the event types above, for pickers (the admin
// console's audit filter). Add a new type here too.
var KnownTypes = []string{
	LoginSuccess, LoginFailure, Lockout, Logout, Registered, EmailVerified, VerificationSent,
	PasswordResetRequested, PasswordResetCompleted, PasswordChanged, ProfileUpdated, RolesChanged,
	UserCreated, UserDisabled, UserEnabled, UserDeleted, SessionRevoked, ConsentGranted, ConsentRevoked,
	PermissionDenied, TokenIssued, TokenRefreshed, TokenRevoked, RefreshReuse, UpstreamLogin, UpstreamFailure,
	IdentityLinked, IdentityUnlinked, ClientCreated, ClientUpdated, ClientDeleted, ClientSecretRotated,
	KeyRotated, BackchannelLogout, MFAEnrolled, MFARemoved, MFASuccess, MFAFailure, MFARecoveryCodeUsed,
}
