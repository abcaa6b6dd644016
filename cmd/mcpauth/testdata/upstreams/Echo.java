// A servlet for the proxy tests (cmd/mcpauth/upstreams_test.go), compiled
// by the test with javac against Debian's tomcat10 servlet API. Mapped to
// /mcp, /admin and / (everything else) by WEB-INF/web.xml; it answers which
// of them Tomcat routed the request to, after Tomcat's own path handling
// (path parameters removed, %-decoding, dot segments resolved).
import java.io.IOException;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

public class Echo extends HttpServlet {
    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType("text/plain");
        resp.getWriter().print("area=" + getInitParameter("area")
                + " servletPath=" + req.getServletPath()
                + " pathInfo=" + req.getPathInfo());
    }
}
