"""The studio's pages, one module each, with the actions that belong to them:

- gallery: the gallery and what its selection of cards can do
- create: the New video form, its first-frame check, "Make another"
- video: a video's page, its status part, its takes and its actions (star, cancel, stop,
  check again, send again, delete)
- trash: the Trash, restoring and deleting for good
- compare: videos side by side
- media: a video's files (video, download, poster, first frame) and a ZIP of many
- poll: the page's one poll
- site: what the site answers outside any page (the favicon)
"""
