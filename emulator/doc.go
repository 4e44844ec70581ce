// Package emulator serves the KakaoCloud API that image sharing needs (IAM application-credential
// tokens, the Config API's endpoint discovery and the Image API with its members) from memory, so
// the provider, its acceptance tests and users' own modules run without a KakaoCloud account.
//
// It is a test instrument as much as a server: one replaceable clock drives every delay, faults
// can be injected by route, image and count, requests are counted, and every setting can be
// changed at runtime from Go or over HTTP under /_emulator/v1/, a prefix the real API never uses.
package emulator
