package accounts_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/gatehouse-id/gatehouse/accounts"
)

// BenchmarkAuthenticate verifies a password (a user lookup and one bcrypt
// comparison on the bounded pool) from parallel goroutines, at the
// production cost and at the cost tests use. Run:
//
//	go test -run XXX -bench Authenticate ./accounts
func BenchmarkAuthenticate(b *testing.B) {
	for _, cost := range []int{4, accounts.DefaultCost} {
		b.Run(fmt.Sprintf("cost=%d", cost), func(b *testing.B) {
			ctx := context.Background()
			svc, err := accounts.New(openStore(b), cost)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := svc.CreateUser(ctx, accounts.NewUser{Email: "bench@example.com", Password: "correct horse battery", Name: "Bench"}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := svc.Authenticate(ctx, "bench@example.com", "correct horse battery"); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
