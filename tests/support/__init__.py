"""What the tests share: running the real CLI and server, the browser, the site's link checker, the report's
own figures. Test files import from here, never from each other."""
