package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/custimport/custimport/importer/api"
	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/mapping"
)

func ExampleClient_Send() {
	sb, err := sandbox.New(sandbox.Config{UserID: "demo", AccountID: "demo", Password: "demo"})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()

	c, err := api.New(api.Config{
		Endpoint:  srv.URL + "/api.php", // http:// is allowed on a loopback host only
		UserID:    "demo",
		AccountID: "demo",
		Password:  api.NewSecret("demo"),
		UserAgent: "custimport/example",
	})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	o := c.Send(context.Background(), []mapping.Field{{Name: "first_name", Value: "Ann"}})
	fmt.Println(o.Kind, o.Status, len(o.Code))

	o = c.Send(context.Background(), []mapping.Field{{Name: "code", Value: o.Code}, {Name: "last_name", Value: "Lee"}})
	fmt.Println(o.Kind, o.Status)

	bad, _ := api.New(api.Config{Endpoint: srv.URL, UserID: "demo", AccountID: "demo", Password: api.NewSecret("wrong")})
	defer bad.Close()
	o = bad.Send(context.Background(), []mapping.Field{{Name: "first_name", Value: "Bo"}})
	fmt.Println(o.Kind)
	// Output:
	// success new 16
	// success update
	// credentials rejected
}
