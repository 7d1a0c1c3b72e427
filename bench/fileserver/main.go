// Command fileserver serves a directory with Go's http.FileServer: the
// baseline the load scripts compare the map server with. It imports no
// package of the project.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
)

func main() {
	dir := flag.String("dir", ".", "directory to serve")
	addr := flag.String("addr", "127.0.0.1:18090", "address to listen on")
	flag.Parse()
	if err := http.ListenAndServe(*addr, http.FileServer(http.Dir(*dir))); err != nil {
		fmt.Fprintln(os.Stderr, "fileserver:", err)
		os.Exit(1)
	}
}
