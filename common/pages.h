/*
 * The pages a daemon's start-up touched in its libraries' code and
 * read-only data, given back once it is set up (pages.c).
 */
#ifndef CV_PAGES_H
#define CV_PAGES_H

void	drop_startup_pages(void);

#endif
